import JSON
import SalesRules

/// What the inbound pipeline reads of an order before it applies an event: its state, its ETag and
/// the lookups an invoice copies.
struct OrderSnapshot: Sendable {
    /// The columns read.
    static let columns = [
        "salesorderid", "ordernumber", "name", "statecode", "statuscode", "submitstatus", "lastbackofficesubmit", "datefulfilled",
        "_customerid_value", "_pricelevelid_value", "_transactioncurrencyid_value",
    ]

    var id: String
    var orderNumber: String
    var state: OrderState
    var status: OrderStatus?
    var submitStatus: SubmitStatus?
    var lastBackOfficeSubmit: String?
    /// When the back office shipped part of the order (a partial shipment leaves it open).
    var dateFulfilled: String?
    var etag: String
    var row: JSONValue

    init(id: String, row: JSONValue) {
        self.id = id
        self.row = row
        orderNumber = row["ordernumber"]?.stringValue ?? id
        state = row["statecode"]?.intValue.flatMap(OrderState.init(rawValue:)) ?? .active
        status = row["statuscode"]?.intValue.flatMap(OrderStatus.init(rawValue:))
        submitStatus = row["submitstatus"]?.intValue.flatMap(SubmitStatus.init(rawValue:))
        lastBackOfficeSubmit = row["lastbackofficesubmit"]?.stringValue
        dateFulfilled = row["datefulfilled"]?.stringValue
        etag = row["@odata.etag"]?.stringValue ?? "*"
    }
}
