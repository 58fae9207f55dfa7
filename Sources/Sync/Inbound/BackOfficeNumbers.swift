import BackOffice
import JSON

/// Maps the back office's lines, totals and events onto Dynamics columns and timeline notes. Pure;
/// amounts are copied as their literals, digit for digit.
enum BackOfficeNumbers {
    /// A back-office line as the `salesorderdetail`/`invoicedetail` columns a create may set; its price is
    /// overridden, since it is the back office's. `volumediscountamount` is read-only in Dynamics (its price
    /// list computes it): the back office's volume discount shows in the amounts (`amounts`).
    static func line(_ line: JSONValue) -> [String: JSONValue] {
        [
            "lineitemnumber": line["lineNumber"] ?? .null, "quantity": line["quantity"] ?? .null,
            "priceperunit": line["unitPrice"] ?? .null, "manualdiscountamount": line["manualDiscountAmount"] ?? .null,
            "tax": line["tax"] ?? .null, "ispriceoverridden": true,
        ]
    }

    /// A back-office line's amounts: valid for update but not for create (`IsValidForCreate` false in the
    /// salesorderdetail and invoicedetail references), so they are written after the line exists.
    static func amounts(_ line: JSONValue) -> [String: JSONValue] {
        ["baseamount": line["baseAmount"] ?? .null, "extendedamount": line["extendedAmount"] ?? .null]
    }

    /// Back-office totals as header columns; missing ones are left alone. The totals are valid for update
    /// but not for create (`IsValidForCreate` false in the salesorder and invoice references).
    static func totals(_ totals: JSONValue) -> [String: JSONValue] {
        let mapping = [
            ("lineItemAmount", "totallineitemamount"), ("lineItemDiscountAmount", "totallineitemdiscountamount"),
            ("discountAmount", "totaldiscountamount"), ("amountLessFreight", "totalamountlessfreight"),
            ("tax", "totaltax"), ("totalAmount", "totalamount"), ("freightAmount", "freightamount"),
        ]
        var columns: [String: JSONValue] = [:]
        for (key, column) in mapping { if let value = totals[key], !value.isNull { columns[column] = value } }
        return columns
    }

    /// The subject and text of the timeline note an event of `kind` leaves on its order.
    static func note(_ event: ChangeEvent, kind: ChangeEventKind) -> (subject: String, text: String) {
        let data = event.data
        let reason = data["reason"]?.stringValue ?? "no reason given"
        switch kind {
        case .accepted:
            return ("Accepted by the back office", "The back office accepted the order as \(data["backOfficeOrderNumber"]?.stringValue ?? event.orderId) (\(event.orderId)).")
        case .linesChanged:
            let count = data["lines"]?.arrayValue?.count ?? 0
            return ("Changed by the back office", "The back office changed the lines (\(count) now) and the totals: total \(data["totals"]?["totalAmount"]?.numberText ?? "?").")
        case .shipped:
            let complete = data["complete"]?.boolValue ?? true
            return (complete ? "Shipped" : "Partly shipped", "The back office shipped the order\(complete ? "" : " in part") on \(data["shippedAt"]?.stringValue ?? "?").")
        case .invoiced:
            return ("Invoiced", "The back office invoiced the order: invoice \(data["invoiceNumber"]?.stringValue ?? "?"), total \(data["totals"]?["totalAmount"]?.numberText ?? "?").")
        case .canceled:
            return ("Canceled by the back office", "The back office canceled the order: \(reason).")
        case .rejected, .deleted:
            return (
                "Returned by the back office",
                "The back office \(kind.rawValue) the order: \(reason). It is back with the salesperson: correct it and submit it again."
            )
        }
    }
}
