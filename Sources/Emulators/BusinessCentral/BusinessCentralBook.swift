import Foundation
import JSON
import SalesRules

/// The records of the emulated Business Central company: customers and items (the demo catalog), sales orders with
/// their lines, and the shipments and invoices posting makes. Posting follows BC: a shipment per posting, an
/// invoice per posting, and an order fully invoiced is deleted (docs/business-central-facts.md §7).
final class BusinessCentralBook: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var customers: [JSONValue] = []
    private(set) var items: [JSONValue] = []
    private var orders: [JSONValue] = []
    private var orderLines: [String: [JSONValue]] = [:]
    private var shipments: [JSONValue] = []
    private var shipmentLines: [String: [JSONValue]] = [:]
    private var invoices: [JSONValue] = []
    private var invoiceLines: [String: [JSONValue]] = [:]
    private var counter = 0
    private var lastStamp = Date(timeIntervalSince1970: 0)
    /// The tax BC charges on each line, in percent.
    static let taxPercent: Decimal = 8

    /// The demo account Business Central has no customer for (not set up there yet): its orders are refused.
    static let missingCustomer = "A-1004"

    /// A company with the demo catalog's items and customers, all but `missingCustomer`.
    init() {
        for (index, account) in DemoData.accounts.enumerated() where account.number != Self.missingCustomer {
            customers.append([
                "id": .string(DemoData.guid("c5", index + 1)), "number": .string(account.number), "displayName": .string(account.name),
                "type": "Company", "city": .string(account.city), "country": .string(account.country),
            ])
        }
        for (index, product) in DemoData.products.enumerated() {
            items.append([
                "id": .string(DemoData.guid("17", index + 1)), "number": .string(product.number), "displayName": .string(product.name),
                "type": "Inventory", "unitPrice": .number(Money.literal(product.price)),
            ])
        }
    }

    /// The rows of entity set `set`, each with its lines under `expand` when asked.
    func rows(_ set: String, expanding: Bool) -> [JSONValue] {
        lock.withLock {
            switch set {
            case "customers": return customers
            case "items": return items
            case "salesOrders": return orders.map { expanding ? with($0, "salesOrderLines", orderLines) : $0 }
            case "salesShipments": return shipments.map { expanding ? with($0, "salesShipmentLines", shipmentLines) : $0 }
            case "salesInvoices": return invoices.map { expanding ? with($0, "salesInvoiceLines", invoiceLines) : $0 }
            default: return []
            }
        }
    }

    private func with(_ row: JSONValue, _ name: String, _ lines: [String: [JSONValue]]) -> JSONValue {
        guard case .object(var members) = row, let id = members["id"]?.stringValue else { return row }
        members[name] = .array(lines[id] ?? [])
        return .object(members)
    }

    /// The properties a create may set; others are refused, as OData refuses an unknown or read-only property.
    static let orderProperties: Set<String> = [
        "externalDocumentNumber", "orderDate", "postingDate", "customerId", "customerNumber", "currencyCode", "requestedDeliveryDate",
        "shipToName", "shipToContact", "email", "phoneNumber", "salesperson", "partialShipping", "discountAmount", "salesOrderLines",
    ]
    static let lineProperties: Set<String> = [
        "lineType", "lineObjectNumber", "itemId", "description", "quantity", "unitPrice", "discountPercent", "discountAmount",
        "unitOfMeasureCode", "shipmentDate",
    ]

    /// Creates a sales order and its lines (deep insert), all or nothing.
    /// - Throws: `BusinessCentralError` as BC refuses: an unknown property, a missing or unknown customer, an external
    ///   document number over 35 characters, an unknown item, a bad quantity.
    func createOrder(_ body: JSONValue, now: Date) throws(BusinessCentralError) -> JSONValue {
        guard let members = body.objectValue else { throw .badRequest("The request body is not a JSON object.") }
        if let unknown = members.keys.sorted().first(where: { !Self.orderProperties.contains($0) }) {
            throw .badRequest("Could not find a property named '\(unknown)' on type 'Microsoft.NAV.salesOrder'.")
        }
        let external = members["externalDocumentNumber"]?.stringValue ?? ""
        try Self.length(external, 35)
        let customer = try self.customer(number: members["customerNumber"]?.stringValue, id: members["customerId"]?.stringValue)
        let orderId = UUID().uuidString.lowercased()
        var lines: [JSONValue] = []
        for (index, line) in (members["salesOrderLines"]?.arrayValue ?? []).enumerated() {
            lines.append(try orderLine(line, orderId: orderId, sequence: (index + 1) * 10_000))
        }
        return lock.withLock {
            counter += 1
            let totals = Self.totals(lines)
            let order: JSONValue = .object([
                "@odata.etag": .string("W/\"JzE5OzEyMzQ1Njc4OTAxMjM0NTY3ODkwOzAwOyc=\(counter)\""),
                "id": .string(orderId), "number": .string(String(101_000 + counter)), "externalDocumentNumber": .string(external.uppercased()),
                "orderDate": .string(members["orderDate"]?.stringValue ?? String(ERPTime.stamp(now).prefix(10))),
                "postingDate": .string(String(ERPTime.stamp(now).prefix(10))),
                "customerId": customer["id"] ?? .null, "customerNumber": customer["number"] ?? .null, "customerName": customer["displayName"] ?? .null,
                "currencyCode": .string(members["currencyCode"]?.stringValue ?? ""),
                "requestedDeliveryDate": .string(members["requestedDeliveryDate"]?.stringValue ?? "0001-01-01"),
                "status": "Draft", "fullyShipped": false, "discountAmount": .number("0"),
                "totalAmountExcludingTax": totals.excluding, "totalTaxAmount": totals.tax, "totalAmountIncludingTax": totals.including,
                "lastModifiedDateTime": .string(stamp(now)),
            ])
            orders.append(order)
            orderLines[orderId] = lines
            return order
        }
    }

    /// The customer a create names by number or id.
    private func customer(number: String?, id: String?) throws(BusinessCentralError) -> JSONValue {
        let known = lock.withLock { customers }
        if let number {
            guard let found = known.first(where: { $0["number"]?.stringValue?.uppercased() == number.uppercased() }) else {
                throw .dialog("The Customer does not exist. Identification fields and values: No.='\(number)'")
            }
            return found
        }
        if let id {
            guard let found = known.first(where: { $0["id"]?.stringValue == id }) else {
                throw .dialog("The Customer does not exist. Identification fields and values: Id='\(id)'")
            }
            return found
        }
        throw .dialog("A \"customerNumber\" or a \"customerId\" must be provided.")
    }

    private func orderLine(_ line: JSONValue, orderId: String, sequence: Int) throws(BusinessCentralError) -> JSONValue {
        guard let members = line.objectValue else { throw .badRequest("A salesOrderLine is not a JSON object.") }
        if let unknown = members.keys.sorted().first(where: { !Self.lineProperties.contains($0) }) {
            throw .badRequest("Could not find a property named '\(unknown)' on type 'Microsoft.NAV.salesOrderLine'.")
        }
        let type = members["lineType"]?.stringValue ?? (members["itemId"] != nil ? "Item" : "Comment")
        var item: JSONValue?
        if type == "Item" {
            let number = members["lineObjectNumber"]?.stringValue
            item = lock.withLock {
                items.first { candidate in
                    if let number { return candidate["number"]?.stringValue?.uppercased() == number.uppercased() }
                    return candidate["id"] == members["itemId"]
                }
            }
            guard item != nil else {
                throw .dialog("The Item does not exist. Identification fields and values: No.='\(number ?? members["itemId"]?.stringValue ?? "")'")
            }
        } else if type != "Comment" {
            throw .badRequest("The lineType '\(type)' is not supported here: write Item or Comment.")
        }
        let description = members["description"]?.stringValue ?? item?["displayName"]?.stringValue ?? ""
        try Self.length(description, 100)
        let quantity = members["quantity"].map(Self.decimal) ?? 0
        guard quantity >= 0, type == "Comment" || quantity > 0 else {
            throw .dialog("Quantity must be positive on an Item line (sequence \(sequence)).")
        }
        let price = members["unitPrice"].map(Self.decimal) ?? item.map { Self.decimal($0["unitPrice"] ?? .null) } ?? 0
        let excluding = Money.round(quantity * price, precision: 2)
        let tax = Money.round(excluding * Self.taxPercent / 100, precision: 2)
        return [
            "id": .string(UUID().uuidString.lowercased()), "documentId": .string(orderId), "sequence": .int(sequence), "lineType": .string(type),
            "lineObjectNumber": item?["number"] ?? .string(""), "itemId": item?["id"] ?? .string("00000000-0000-0000-0000-000000000000"),
            "description": .string(description), "quantity": .number(Money.literal(quantity, precision: 4)),
            "unitPrice": .number(Money.literal(price)), "amountExcludingTax": .number(Money.literal(excluding)),
            "taxPercent": .number(Money.literal(Self.taxPercent)), "totalTaxAmount": .number(Money.literal(tax)),
            "amountIncludingTax": .number(Money.literal(excluding + tax)), "shippedQuantity": .number("0"), "invoicedQuantity": .number("0"),
        ]
    }

    /// Posts a shipment of order `number`: all that is left to ship, or half of each line (rounded up) when not
    /// `complete`. Nil when there is no such order or nothing left to ship.
    func ship(orderNumber: String, complete: Bool, now: Date) -> JSONValue? {
        lock.withLock { shipLocked(orderNumber: orderNumber, complete: complete, now: now) }
    }

    private func shipLocked(orderNumber: String, complete: Bool, now: Date) -> JSONValue? {
        guard let index = orders.firstIndex(where: { $0["number"]?.stringValue == orderNumber }), case .object(var order) = orders[index],
            let orderId = order["id"]?.stringValue
        else { return nil }
        var lines = orderLines[orderId] ?? []
        var shipped: [JSONValue] = []
        counter += 1
        let shipmentId = UUID().uuidString.lowercased()
        for (position, line) in lines.enumerated() where line["lineType"]?.stringValue == "Item" {
            let left = Self.decimal(line["quantity"] ?? .null) - Self.decimal(line["shippedQuantity"] ?? .null)
            guard left > 0 else { continue }
            var amount = complete ? left : Money.round(left / 2, precision: 0)
            if amount <= 0 { amount = left }
            guard case .object(var members) = line else { continue }
            members["shippedQuantity"] = .number(Money.literal(Self.decimal(line["shippedQuantity"] ?? .null) + amount, precision: 4))
            lines[position] = .object(members)
            shipped.append([
                "id": .string(UUID().uuidString.lowercased()), "documentId": .string(shipmentId), "sequence": line["sequence"] ?? .null,
                "lineType": "Item", "lineObjectNumber": line["lineObjectNumber"] ?? .null, "description": line["description"] ?? .null,
                "unitPrice": line["unitPrice"] ?? .null, "quantity": .number(Money.literal(amount, precision: 4)),
                "shipmentDate": .string(String(ERPTime.stamp(now).prefix(10))),
            ])
        }
        guard !shipped.isEmpty else { return nil }
        orderLines[orderId] = lines
        let stamp = stamp(now)
        let shipment: JSONValue = [
            "id": .string(shipmentId), "number": .string(String(102_000 + counter)), "externalDocumentNumber": order["externalDocumentNumber"] ?? .null,
            "orderNumber": .string(orderNumber), "customerNumber": order["customerNumber"] ?? .null,
            "postingDate": .string(String(stamp.prefix(10))), "lastModifiedDateTime": .string(stamp),
        ]
        shipments.append(shipment)
        shipmentLines[shipmentId] = shipped
        order["fullyShipped"] = .bool(lines.allSatisfy { Self.decimal($0["quantity"] ?? .null) <= Self.decimal($0["shippedQuantity"] ?? .null) })
        order["lastModifiedDateTime"] = .string(stamp)
        orders[index] = .object(order)
        return shipment
    }

    /// Posts order `number` with Ship and Invoice (`Microsoft.NAV.shipAndInvoice`): what is left is shipped, what
    /// is shipped and not invoiced is invoiced, and the order, now fully invoiced, is deleted. Nil when there is no
    /// such order or nothing to invoice.
    func invoice(orderNumber: String, now: Date) -> JSONValue? {
        lock.withLock {
            _ = shipLocked(orderNumber: orderNumber, complete: true, now: now)
            guard let index = orders.firstIndex(where: { $0["number"]?.stringValue == orderNumber }), let orderId = orders[index]["id"]?.stringValue
            else { return nil }
            let order = orders[index]
            counter += 1
            let invoiceId = UUID().uuidString.lowercased()
            let lines = (orderLines[orderId] ?? []).filter { Self.decimal($0["shippedQuantity"] ?? .null) > Self.decimal($0["invoicedQuantity"] ?? .null) }
            guard !lines.isEmpty else { return nil }
            let invoiced: [JSONValue] = lines.map { line in
                guard case .object(var members) = line else { return line }
                for key in ["shippedQuantity", "invoicedQuantity"] { members.removeValue(forKey: key) }
                members["id"] = .string(UUID().uuidString.lowercased())
                members["documentId"] = .string(invoiceId)
                return .object(members)
            }
            let totals = Self.totals(invoiced)
            let stamp = stamp(now)
            let invoice: JSONValue = [
                "id": .string(invoiceId), "number": .string(String(103_000 + counter)), "externalDocumentNumber": order["externalDocumentNumber"] ?? .null,
                "invoiceDate": .string(String(stamp.prefix(10))), "postingDate": .string(String(stamp.prefix(10))),
                "customerNumber": order["customerNumber"] ?? .null, "currencyCode": order["currencyCode"] ?? .null,
                "orderId": .string(orderId), "orderNumber": .string(orderNumber), "status": "Open",
                "totalAmountExcludingTax": totals.excluding, "totalTaxAmount": totals.tax, "totalAmountIncludingTax": totals.including,
                "remainingAmount": totals.including, "lastModifiedDateTime": .string(stamp),
            ]
            invoices.append(invoice)
            invoiceLines[invoiceId] = invoiced
            // Everything is shipped and now invoiced: BC deletes the order after posting.
            orders.remove(at: index)
            orderLines[orderId] = nil
            return invoice
        }
    }

    /// Releases order `number` (the API shows it as `Open`); false when there is no such order.
    func release(orderNumber: String, now: Date) -> Bool {
        lock.withLock {
            guard let index = orders.firstIndex(where: { $0["number"]?.stringValue == orderNumber }), case .object(var order) = orders[index]
            else { return false }
            order["status"] = "Open"
            order["lastModifiedDateTime"] = .string(stamp(now))
            orders[index] = .object(order)
            return true
        }
    }

    /// The order with `id`, or its number when `id` is not one.
    func orderNumber(id: String) -> String? {
        lock.withLock { orders.first { $0["id"]?.stringValue == id }?["number"]?.stringValue }
    }

    private static func totals(_ lines: [JSONValue]) -> (excluding: JSONValue, tax: JSONValue, including: JSONValue) {
        let excluding = lines.map { decimal($0["amountExcludingTax"] ?? .null) }.reduce(0, +)
        let tax = lines.map { decimal($0["totalTaxAmount"] ?? .null) }.reduce(0, +)
        return (.number(Money.literal(excluding)), .number(Money.literal(tax)), .number(Money.literal(excluding + tax)))
    }

    private static func decimal(_ value: JSONValue) -> Decimal {
        value.numberText.flatMap { Decimal(string: $0) } ?? 0
    }

    private static func length(_ text: String, _ limit: Int) throws(BusinessCentralError) {
        guard text.count <= limit else {
            throw BusinessCentralError(
                status: 400, code: "Application_StringExceededLength",
                message: "The length of the string is \(text.count), but it must be less than or equal to \(limit) characters. Value: \(text)")
        }
    }

    /// Now to the millisecond, never before the last stamp (the caller holds the lock).
    private func stamp(_ now: Date) -> String {
        lastStamp = max(now, lastStamp)
        return ERPTime.stamp(lastStamp)
    }
}
