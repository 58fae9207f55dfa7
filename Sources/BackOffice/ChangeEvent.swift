import JSON

/// One event of the back office's change feed (`GET /changes`).
public struct ChangeEvent: Sendable, Equatable {
    /// The event's unique id: the idempotency key of applying it.
    public var id: String
    /// Its position in the feed; the cursor after it.
    public var sequence: Int
    /// The type as the feed wrote it.
    public var type: String
    /// The type, or nil when contract v1 has no such type (the event is then refused, never guessed at).
    public var kind: ChangeEventKind? { ChangeEventKind(rawValue: type) }
    /// The back-office order id.
    public var orderId: String
    /// The Dynamics `salesorderid`, if the back office knows it.
    public var dynamicsOrderId: String?
    /// The Dynamics order number, if the back office knows it.
    public var orderNumber: String?
    /// The type's details.
    public var data: JSONValue
    /// The event as received.
    public var json: JSONValue

    /// Reads an event; nil when it lacks an id, a sequence, a type or an order id.
    public init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue, let sequence = json["sequence"]?.intValue,
            let type = json["type"]?.stringValue, let orderId = json["orderId"]?.stringValue
        else { return nil }
        self.id = id
        self.sequence = sequence
        self.type = type
        self.orderId = orderId
        self.dynamicsOrderId = json["dynamicsOrderId"]?.stringValue
        self.orderNumber = json["orderNumber"]?.stringValue
        self.data = json["data"] ?? .null
        self.json = json
    }
}
