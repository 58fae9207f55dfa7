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

    /// Whether an order in `state` (with `status`) may be closed as fulfilled with `newStatus`
    /// (`FulfillSalesOrder`): an open order, or one fulfilled in part, may become Complete or Partial.
    public static func fulfill(state: OrderState, status: OrderStatus?, newStatus: OrderStatus) -> RuleVerdict {
        guard newStatus.state == .fulfilled else {
            return .refused("FulfillSalesOrder takes Status 100001 (Complete) or 100002 (Partial), not \(newStatus.rawValue).")
        }
        switch state {
        case .active, .submitted: return .allowed
        case .fulfilled where status == .partial: return .allowed
        default: return .refused("An order that is \(state.label)/\(status?.label ?? "?") cannot be fulfilled.")
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
