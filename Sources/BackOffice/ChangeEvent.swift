import Foundation
import JSON
import PeerText

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
    /// The type's details, every string cleaned (`PeerText`).
    public var data: JSONValue
    /// The event as received.
    public var json: JSONValue
    /// The order lines of `data` (`linesChanged`, `invoiced`), none for other types.
    public var lines: [JSONValue] { data["lines"]?.arrayValue ?? [] }

    /// `value` with every string passed through `PeerText.clean` (at most 1000 characters): the
    /// details reach Dynamics as notes, descriptions and numbers.
    static func cleaned(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(PeerText.clean(text, limit: 1000))
        case .array(let items): .array(items.map(cleaned))
        case .object(let fields): .object(fields.mapValues(cleaned))
        default: value
        }
    }

    /// Reads an event; nil when it lacks an id, a sequence (0 or more), a type or an order id, when one
    /// of them or the order number is not a printable identifier (`PeerText.identifier`), or when
    /// `dynamicsOrderId` or a line's `dynamicsLineId` is not a GUID (they become part of Dataverse URLs).
    /// Every string of `data` passes through `PeerText`.
    public init?(_ json: JSONValue) {
        guard let sequence = json["sequence"]?.intValue else { return nil }
        self.init(json, sequence: sequence)
    }

    /// Reads an event whose position is kept apart from its text: a mapped ERP's event (`HTTPMappingAdapter`) is made
    /// again, with the same text, each time its record is read, at a new position, and must be journaled as the same.
    public init?(_ json: JSONValue, sequence: Int) {
        guard let id = PeerText.identifier(json["id"]?.stringValue), sequence >= 0, let type = PeerText.identifier(json["type"]?.stringValue),
            let orderId = PeerText.identifier(json["orderId"]?.stringValue)
        else { return nil }
        let dynamicsOrderId = json["dynamicsOrderId"]?.stringValue
        let orderNumber = json["orderNumber"]?.stringValue
        if let dynamicsOrderId, UUID(uuidString: dynamicsOrderId) == nil { return nil }
        if let orderNumber, PeerText.identifier(orderNumber) == nil { return nil }
        let lineIds = (json["data"]?["lines"]?.arrayValue ?? []).compactMap { $0["dynamicsLineId"] }.filter { !$0.isNull }
        guard lineIds.allSatisfy({ $0.stringValue.flatMap(UUID.init(uuidString:)) != nil }) else { return nil }
        self.id = id
        self.sequence = sequence
        self.type = type
        self.orderId = orderId
        self.dynamicsOrderId = dynamicsOrderId
        self.orderNumber = orderNumber
        self.data = Self.cleaned(json["data"] ?? .null)
        self.json = json
    }
}
