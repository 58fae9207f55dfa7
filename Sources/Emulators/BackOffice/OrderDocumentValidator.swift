import Foundation

/// The checks the reference back office makes on an order document before accepting it.
enum OrderDocumentValidator {
    /// Why the document cannot be accepted; empty when it can.
    static func reasons(_ document: JSONValue) -> [String] {
        var reasons: [String] = []
        if document["orderNumber"]?.stringValue?.isEmpty ?? true { reasons.append("orderNumber is missing") }
        if document["customer"]?["name"]?.stringValue == nil { reasons.append("customer.name is missing") }
        if document["currency"]?.stringValue == nil { reasons.append("currency is missing") }
        let lines = document["lines"]?.arrayValue ?? []
        if lines.isEmpty { reasons.append("the order has no lines") }
        for (index, line) in lines.enumerated() {
            let label = "lines[\(index)]"
            let quantity = line["quantity"]?.numberText.flatMap { Decimal(string: $0) } ?? 0
            if quantity <= 0 { reasons.append("\(label).quantity must be greater than 0") }
            if line["product"]?.isNull ?? true, line["description"]?.stringValue?.isEmpty ?? true {
                reasons.append("\(label) has neither a product nor a description")
            }
            if line["unitPrice"]?.numberText == nil { reasons.append("\(label).unitPrice is missing") }
        }
        return reasons
    }
}
