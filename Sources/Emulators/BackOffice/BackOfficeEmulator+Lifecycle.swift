import BackOffice
import Foundation
import JSON
import SalesRules

/// The order lifecycle the reference back office can be told to play, each step an event on the feed:
/// what tests and the demo use, in Swift or through `POST /_admin/orders/{id}/events`.
extension BackOfficeEmulator {
    /// The tax rate the reference back office charges on each line's base amount.
    static let taxRate = Decimal(string: "0.08")!

    /// The order's lines and totals as the back office has them now.
    private func current(_ orderId: String) throws(BackOfficeLifecycleError) -> (order: ReceivedOrder, lines: [JSONValue]) {
        guard let order = receivedOrders.first(where: { $0.id == orderId }) else {
            throw BackOfficeLifecycleError(message: "the back office has no order \(orderId)")
        }
        return (order, currentLines[orderId] ?? order.document["lines"]?.arrayValue ?? [])
    }

    private func totals(_ lines: [JSONValue], order: ReceivedOrder) -> JSONValue {
        let decimal = { (value: JSONValue?) in value?.numberText.flatMap { Decimal(string: $0) } ?? 0 }
        let freight = decimal(order.document["freightAmount"])
        let totals = OrderTotals(
            lines: lines.map {
                .init(baseAmount: decimal($0["baseAmount"]), manualDiscount: decimal($0["manualDiscountAmount"]), tax: decimal($0["tax"]))
            },
            discountAmount: decimal(order.document["discountAmount"]),
            discountPercentage: decimal(order.document["discountPercentage"]), freightAmount: freight)
        let money = { (value: Decimal) in JSONValue.number(Money.literal(value)) }
        return [
            "lineItemAmount": money(totals.totalLineItemAmount),
            "lineItemDiscountAmount": money(totals.totalLineItemDiscountAmount),
            "discountAmount": money(totals.totalDiscountAmount), "amountLessFreight": money(totals.totalAmountLessFreight),
            "freightAmount": money(freight), "tax": money(totals.totalTax), "totalAmount": money(totals.totalAmount),
        ]
    }

    /// A line with its amounts computed by the back office.
    private static func line(_ base: [String: JSONValue], unitPrice: Decimal) -> JSONValue {
        var line = base
        let decimal = { (value: JSONValue?) in value?.numberText.flatMap { Decimal(string: $0) } ?? 0 }
        let quantity = decimal(base["quantity"])
        let volume = decimal(base["volumeDiscountPerUnit"])
        let gross = Money.round((unitPrice - volume) * quantity, precision: 2)
        let tax = Money.round(gross * taxRate, precision: 2)
        let amounts = OrderLineAmounts(
            quantity: quantity, pricePerUnit: unitPrice, volumeDiscountPerUnit: volume,
            manualDiscount: decimal(base["manualDiscountAmount"]), tax: tax)
        line["unitPrice"] = .number(Money.literal(unitPrice))
        line["tax"] = .number(Money.literal(tax))
        line["baseAmount"] = .number(Money.literal(amounts.baseAmount))
        line["extendedAmount"] = .number(Money.literal(amounts.extendedAmount))
        return .object(line)
    }

    /// The order is accepted under a back-office order number.
    @discardableResult
    public func accept(_ orderId: String) throws(BackOfficeLifecycleError) -> JSONValue {
        let (order, _) = try current(orderId)
        return feed.append(.accepted, order: order, data: ["backOfficeOrderNumber": .string("ERP-\(orderId.dropFirst(3))")])
    }

    /// The back office reprices the order: every unit price lowered by `discountPercent`, lines
    /// `removing` (by line number) dropped, and a write-in line added when `addWriteIn` is given.
    @discardableResult
    public func changeLines(
        _ orderId: String, discountPercent: Decimal, removing: Set<Int> = [],
        addWriteIn: (description: String, quantity: Int, unitPrice: Decimal)? = nil
    ) throws(BackOfficeLifecycleError) -> JSONValue {
        let (order, lines) = try current(orderId)
        var changed: [JSONValue] = lines.compactMap { line in
            guard !removing.contains(line["lineNumber"]?.intValue ?? 0), let members = line.objectValue else { return nil }
            let price = line["unitPrice"]?.numberText.flatMap { Decimal(string: $0) } ?? 0
            return Self.line(members, unitPrice: Money.round(price * (100 - discountPercent) / 100, precision: 2))
        }
        if let writeIn = addWriteIn {
            let number = (lines.compactMap { $0["lineNumber"]?.intValue }.max() ?? 0) + 1
            changed.append(
                Self.line(
                    [
                        "lineNumber": .int(number), "dynamicsLineId": .null, "product": .null,
                        "description": .string(writeIn.description), "quantity": .int(writeIn.quantity), "unit": "Each",
                        "volumeDiscountPerUnit": .number("0.00"), "manualDiscountAmount": .number("0.00"),
                    ], unitPrice: writeIn.unitPrice))
        }
        setCurrentLines(orderId, changed)
        return feed.append(.linesChanged, order: order, data: ["lines": .array(changed), "totals": totals(changed, order: order)])
    }

    /// The order ships, in part or completely.
    @discardableResult
    public func ship(_ orderId: String, complete: Bool) throws(BackOfficeLifecycleError) -> JSONValue {
        let (order, _) = try current(orderId)
        return feed.append(
            .shipped, order: order, data: ["complete": .bool(complete), "shippedAt": .string(Date().formatted(.iso8601))])
    }

    /// The order is invoiced with its current lines and totals.
    @discardableResult
    public func invoice(_ orderId: String) throws(BackOfficeLifecycleError) -> JSONValue {
        let (order, lines) = try current(orderId)
        return feed.append(
            .invoiced, order: order,
            data: [
                "invoiceNumber": .string("INV-\(orderId.dropFirst(3))"), "invoiceDate": .string(Date().formatted(.iso8601)),
                "lines": .array(lines), "totals": totals(lines, order: order),
            ])
    }

    /// The order is canceled, rejected or deleted in the back office, for `reason`.
    @discardableResult
    public func end(_ orderId: String, as type: ChangeEventKind, reason: String) throws(BackOfficeLifecycleError)
        -> JSONValue
    {
        guard [.canceled, .rejected, .deleted].contains(type) else {
            throw BackOfficeLifecycleError(message: "\(type.rawValue) does not end an order")
        }
        let (order, _) = try current(orderId)
        return feed.append(type, order: order, data: ["reason": .string(reason)])
    }
}

/// A lifecycle step the reference back office cannot play.
public struct BackOfficeLifecycleError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public var message: String
    public var description: String { message }
}
