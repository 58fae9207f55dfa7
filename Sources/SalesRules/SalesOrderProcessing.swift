/// The seed's rules for orders while sales order processing integration is on or off.
public enum SalesOrderProcessing {
    /// The message Dynamics shows when a read-only record is changed.
    public static let readOnlyMessage = "Cannot perform the action because the record is read only"

    /// Whether an order in `state` may be submitted. Submitting needs the switch on and an Active order.
    public static func submit(sopIntegrationEnabled: Bool, state: OrderState) -> RuleVerdict {
        guard sopIntegrationEnabled else {
            return .refused(
                "An order can be submitted only while sales order processing integration is on (organization.issopintegrationenabled)."
            )
        }
        guard state == .active else { return .refused("Only an active order can be submitted; this one is \(state.label).") }
        return .allowed
    }

    /// Whether an invoice may be created from an order (Create Invoice, `ConvertSalesOrderToInvoice`).
    public static func createInvoiceFromOrder(sopIntegrationEnabled: Bool) -> RuleVerdict {
        sopIntegrationEnabled
            ? .refused(
                "Invoices cannot be created from orders while sales order processing integration is on; the back office invoices them."
            ) : .allowed
    }

    /// Whether an order in `state`, or one of its lines, may be changed by the caller.
    /// - A Submitted order is locked by this feature, which the seed describes under "What happens when
    ///   sales order processing is turned on": "When the order is submitted, the status for the order is
    ///   marked as Submitted and the order is made read-only, unless it was created by an integration user".
    ///   While the switch is off, nothing locks it.
    /// - A closed order (Fulfilled, Canceled, Invoiced) is read-only in Dynamics whatever the switch says.
    /// An integration user may change either: the path by which the back office's changes come back. The
    /// emulator checks the *calling* user (see docs/sop-rules.md).
    public static func edit(orderState: OrderState, sopIntegrationEnabled: Bool, callerIsIntegrationUser: Bool)
        -> RuleVerdict
    {
        switch orderState {
        case .active: .allowed
        case .submitted where !sopIntegrationEnabled: .allowed
        default: callerIsIntegrationUser ? .allowed : .refused(readOnlyMessage)
        }
    }

    /// Whether the switch may be turned off: not while Submitted orders exist, unless forced, as
    /// Business Central's integration decides.
    public static func disable(submittedOrders: Int, force: Bool) -> RuleVerdict {
        guard submittedOrders > 0, !force else { return .allowed }
        return .refused(
            "\(submittedOrders) order(s) are Submitted; turning sales order processing off would unlock them for salespeople and have their prices computed again while the back office still processes them. Let the back office finish them first, or force it."
        )
    }

    /// Whether an order in `state` may be closed as fulfilled with `newStatus` (`FulfillSalesOrder`): only an open
    /// order. "You can't update or change an order after it has been closed, or if it has been partially or
    /// completely fulfilled" ([Create or edit an order](https://learn.microsoft.com/dynamics365/sales/create-edit-order-sales)).
    public static func fulfill(state: OrderState, newStatus: OrderStatus) -> RuleVerdict {
        guard newStatus.state == .fulfilled else {
            return .refused("FulfillSalesOrder takes Status 100001 (Complete) or 100002 (Partial), not \(newStatus.rawValue).")
        }
        return state == .active || state == .submitted
            ? .allowed : .refused("An order that is \(state.label) is closed; it cannot be fulfilled again.")
    }

    /// Whether an order's state may change from `current` to `requested` by an update of `statecode` (SetState):
    /// Canceled and Fulfilled are reached only through their actions; an open order may become Active, Submitted
    /// or Invoiced; a closed order stays closed, except that a Fulfilled one may be marked Invoiced
    /// (docs/sop-rules.md: the documentation lists no transitions).
    public static func setState(from current: OrderState, to requested: OrderState) -> RuleVerdict {
        switch (current, requested) {
        case (_, .canceled), (_, .fulfilled):
            return .refused(
                "The state of an order changes to \(requested.label) through \(requested == .canceled ? "CancelSalesOrder" : "FulfillSalesOrder"), not an update."
            )
        case (.active, _), (.submitted, _), (.fulfilled, .invoiced):
            return .allowed
        default:
            return .refused("An order that is \(current.label) is closed; it cannot become \(requested.label).")
        }
    }

    /// Whether an order in `state` may be canceled with `newStatus` (`CancelSalesOrder`).
    public static func cancel(state: OrderState, newStatus: OrderStatus) -> RuleVerdict {
        guard newStatus.state == .canceled else {
            return .refused("CancelSalesOrder takes Status 4 (No Money), not \(newStatus.rawValue).")
        }
        return state == .active || state == .submitted
            ? .allowed : .refused("An order that is \(state.label) cannot be canceled.")
    }
}
