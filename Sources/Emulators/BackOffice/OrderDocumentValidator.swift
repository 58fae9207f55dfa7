/// The checks the reference back office makes on an order document before accepting it: every rule of
/// `OrderDocument` and `OrderLine` in `docs/backoffice-api.yaml`, and no other (schemathesis holds the two
/// together in `make conformance`). Members the contract does not name are allowed and not looked at.
struct OrderDocumentValidator {
    /// What a member of the contract may hold.
    private enum Kind: String {
        case string = "a string"
        case number = "a number"
        case integer = "an integer"
        case object = "an object"
        case array = "an array"
    }

    private var reasons: [String] = []

    /// Why the document cannot be accepted, one reason per broken rule; empty when it can.
    static func reasons(_ document: JSONValue) -> [String] {
        var validator = OrderDocumentValidator()
        validator.check(document: document)
        return validator.reasons
    }

    private mutating func check(document: JSONValue) {
        if let number = value(document["orderNumber"], at: "orderNumber", is: .string, required: true),
            number.stringValue?.isEmpty == true
        {
            reasons.append("orderNumber is empty")
        }
        value(document["name"], at: "name", is: .string, nullable: true)
        if let dynamics = value(document["dynamics"], at: "dynamics", is: .object) {
            value(dynamics["salesOrderId"], at: "dynamics.salesOrderId", is: .string)
            for key in ["customerId", "ownerId", "priceLevelId"] {
                value(dynamics[key], at: "dynamics.\(key)", is: .string, nullable: true)
            }
        }
        dateTime(document["submittedAt"], at: "submittedAt")
        if let customer = value(document["customer"], at: "customer", is: .object, required: true) {
            value(customer["name"], at: "customer.name", is: .string, required: true)
            value(customer["accountNumber"], at: "customer.accountNumber", is: .string, nullable: true)
            for key in ["billTo", "shipTo"] {
                guard let address = value(customer[key], at: "customer.\(key)", is: .object) else { continue }
                for member in ["name", "line1", "city", "postalCode", "country"] {
                    value(address[member], at: "customer.\(key).\(member)", is: .string, nullable: true)
                }
            }
        }
        if let owner = value(document["owner"], at: "owner", is: .object, nullable: true) {
            for key in ["name", "email"] { value(owner[key], at: "owner.\(key)", is: .string, nullable: true) }
        }
        value(document["currency"], at: "currency", is: .string, required: true)
        value(document["priceList"], at: "priceList", is: .string, nullable: true)
        dateTime(document["requestedDeliveryDate"], at: "requestedDeliveryDate")
        for key in ["paymentTermsCode", "freightTermsCode"] {
            value(document[key], at: key, is: .integer, nullable: true)
        }
        for key in ["discountAmount", "discountPercentage", "freightAmount"] {
            value(document[key], at: key, is: .number, nullable: true)
        }
        if let lines = value(document["lines"], at: "lines", is: .array, required: true)?.arrayValue {
            if lines.isEmpty { reasons.append("the order has no lines") }
            for (index, line) in lines.enumerated() { check(line: line, at: "lines[\(index)]") }
        }
        if let totals = value(document["totals"], at: "totals", is: .object) {
            for key in [
                "lineItemAmount", "lineItemDiscountAmount", "discountAmount", "amountLessFreight", "tax", "totalAmount",
            ] {
                value(totals[key], at: "totals.\(key)", is: .number, nullable: true)
            }
        }
        value(document["extra"], at: "extra", is: .object)
    }

    private mutating func check(line: JSONValue, at label: String) {
        guard value(line, at: label, is: .object) != nil else { return }
        value(line["lineNumber"], at: "\(label).lineNumber", is: .integer, required: true)
        value(line["dynamicsLineId"], at: "\(label).dynamicsLineId", is: .string, nullable: true)
        value(line["extra"], at: "\(label).extra", is: .object)
        if let product = value(line["product"], at: "\(label).product", is: .object, nullable: true) {
            for key in ["id", "number", "name"] {
                value(product[key], at: "\(label).product.\(key)", is: .string, nullable: true)
            }
        }
        value(line["description"], at: "\(label).description", is: .string, nullable: true)
        if let quantity = value(line["quantity"], at: "\(label).quantity", is: .number, required: true)?.numberText,
            !Self.isPositive(quantity)
        {
            reasons.append("\(label).quantity must be greater than 0")
        }
        value(line["unit"], at: "\(label).unit", is: .string, nullable: true)
        value(line["unitPrice"], at: "\(label).unitPrice", is: .number, required: true)
        for key in ["volumeDiscountPerUnit", "manualDiscountAmount", "tax", "baseAmount", "extendedAmount"] {
            value(line[key], at: "\(label).\(key)", is: .number, nullable: true)
        }
        let hasProduct = line["product"]?.objectValue != nil
        let hasDescription = line["description"]?.stringValue.map { !$0.isEmpty } ?? false
        if !hasProduct, !hasDescription { reasons.append("\(label) has neither a product nor a description") }
    }

    /// `value` when it is present and of `kind`; nil otherwise, with a reason when it breaks a rule (absent
    /// though `required`, null though not `nullable`, or of another kind).
    @discardableResult
    private mutating func value(
        _ value: JSONValue?, at path: String, is kind: Kind, required: Bool = false, nullable: Bool = false
    ) -> JSONValue? {
        guard let value else {
            if required { reasons.append("\(path) is missing") }
            return nil
        }
        if value.isNull {
            if required && !nullable {
                reasons.append("\(path) is missing")
            } else if !nullable {
                reasons.append("\(path) must be \(kind.rawValue), not null")
            }
            return nil
        }
        guard Self.holds(value, kind) else {
            reasons.append("\(path) must be \(kind.rawValue)\(nullable ? " or null" : "")")
            return nil
        }
        return value
    }

    /// Checks an optional member that holds an RFC 3339 date-time or null.
    private mutating func dateTime(_ member: JSONValue?, at path: String) {
        if let text = value(member, at: path, is: .string, nullable: true)?.stringValue, !RFC3339.isDateTime(text) {
            reasons.append("\(path) must be an RFC 3339 date-time such as 2026-11-21T09:01:00Z or null")
        }
    }

    private static func holds(_ value: JSONValue, _ kind: Kind) -> Bool {
        switch (kind, value) {
        case (.string, .string), (.number, .number), (.object, .object), (.array, .array): true
        case (.integer, .number(let text)): isInteger(text)
        default: false
        }
    }

    /// Whether the JSON number `text` (RFC 8259) is above 0, however small: its digits are not all zero and
    /// it has no minus sign. Read from the text, so that no conversion rounds `5e-324` to 0.
    private static func isPositive(_ text: String) -> Bool {
        !text.hasPrefix("-") && text.prefix { $0 != "e" && $0 != "E" }.contains { ("1"..."9").contains($0) }
    }

    /// Whether the JSON number `text` (RFC 8259) is a whole number, as JSON Schema's `integer` reads it
    /// (`2`, `2.0` and `2e3` are, `2.5` is not): no digit other than 0 after the point once the exponent moved it.
    private static func isInteger(_ text: String) -> Bool {
        let parts = text.split(whereSeparator: { $0 == "e" || $0 == "E" })
        let mantissa = parts[0].drop { $0 == "-" }
        let point = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let digits = Array(point.joined())
        var exponent = 0
        if parts.count > 1 {
            let written = parts[1].drop { $0 == "+" }
            exponent = Int(written) ?? (written.hasPrefix("-") ? -digits.count - 1 : digits.count)
            exponent = min(max(exponent, -digits.count - 1), digits.count + 1)
        }
        let wholeDigits = point[0].count + exponent
        return digits.dropFirst(max(0, wholeDigits)).allSatisfy { $0 == "0" }
    }
}
