import JSON
import PeerText

/// One page of the change feed.
public struct ChangePage: Sendable {
    /// The events, in feed order.
    public var events: [ChangeEvent]
    /// The cursor to read on from.
    public var next: String

    /// Creates a page.
    public init(events: [ChangeEvent], next: String) {
        self.events = events
        self.next = next
    }

    /// Reads a change-feed answer (`{"events":[…],"next":"…"}`) that followed `cursor`.
    /// - Throws: `BackOfficeError.Code.invalidResponse` when the body is not such an answer, when an event
    ///   lacks an id, sequence, type or order id, when an id or the cursor is not a printable identifier, or
    ///   when a Dynamics order or line id is not a GUID.
    public init(decoding body: [UInt8], after cursor: String, status: Int? = nil) throws(BackOfficeError) {
        func unreadable(_ message: String) -> BackOfficeError {
            BackOfficeError(code: .invalidResponse, status: status, message: message)
        }
        guard let json = try? JSONParser.parse(body), let items = json["events"]?.arrayValue,
            let nextText = json["next"]?.stringValue
        else { throw unreadable("the change feed answer has no events or next cursor") }
        guard let next = PeerText.identifier(nextText) else {
            throw unreadable("the change feed's next cursor '\(PeerText.clean(nextText, limit: 80))' is not a printable identifier of at most \(PeerText.maxIdentifierLength) bytes")
        }
        var events: [ChangeEvent] = []
        events.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let event = ChangeEvent(item) else {
                throw unreadable(
                    "event \(index) after cursor \(PeerText.clean(cursor, limit: 80)) lacks an id, sequence, type or orderId, or one of them is not a printable identifier, or a Dynamics order or line id is not a GUID: \(PeerText.clean(item.jsonText, limit: 160))")
            }
            events.append(event)
        }
        self.init(events: events, next: next)
    }
}
