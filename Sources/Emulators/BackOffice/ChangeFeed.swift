import BackOffice
import Foundation
import JSON

/// The reference back office's change feed: an ordered list of events, each with a unique id and a
/// sequence number that is also the cursor after it.
public final class ChangeFeed: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [JSONValue] = []

    /// The page sizes `GET /changes` accepts as `limit`.
    static let limits = 1...1000
    /// The page size when `GET /changes` gives no `limit`.
    static let defaultLimit = 100

    /// Creates an empty feed.
    public init() {}

    /// `text` read as a cursor (`after`): 1 to 18 ASCII digits, the contract's `Cursor` pattern; nil otherwise.
    static func cursor(_ text: String) -> Int? {
        guard (1...18).contains(text.utf8.count), isDigits(text) else { return nil }
        return Int(text)
    }

    /// `text` read as a page size (`limit`): an integer in ASCII digits within `limits`; nil otherwise.
    static func limit(_ text: String) -> Int? {
        guard !text.isEmpty, isDigits(text), let limit = Int(text), limits.contains(limit) else { return nil }
        return limit
    }

    private static func isDigits(_ text: String) -> Bool {
        text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Appends an event about `order` and returns it.
    @discardableResult
    public func append(_ type: ChangeEventKind, order: ReceivedOrder, data: JSONValue) -> JSONValue {
        lock.withLock {
            let sequence = events.count + 1
            let event: JSONValue = [
                "id": .string(String(format: "evt-%06d", sequence)), "sequence": .int(sequence), "type": .string(type.rawValue),
                "occurredAt": .string(Date().formatted(.iso8601)), "orderId": .string(order.id),
                "dynamicsOrderId": order.document["dynamics"]?["salesOrderId"] ?? .null,
                "orderNumber": order.document["orderNumber"] ?? .null, "data": data,
            ]
            events.append(event)
            return event
        }
    }

    /// Appends an event as given, with the next sequence and id, for tests of events that do not fit.
    @discardableResult
    public func appendRaw(_ members: [String: JSONValue]) -> JSONValue {
        lock.withLock {
            let sequence = events.count + 1
            var event = members
            event["id"] = event["id"] ?? .string(String(format: "evt-%06d", sequence))
            event["sequence"] = .int(sequence)
            events.append(.object(event))
            return .object(event)
        }
    }

    /// The events after cursor `after` (a sequence number; 0 for the start), at most `limit`.
    func page(after: Int, limit: Int) -> [JSONValue] {
        lock.withLock { Array(events.dropFirst(max(0, after)).prefix(limit)) }
    }
}
