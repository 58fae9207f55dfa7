import BackOffice
import Foundation
import JSON

/// The reference back office's change feed: an ordered list of events, each with a unique id and a
/// sequence number that is also the cursor after it.
public final class ChangeFeed: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [JSONValue] = []

    /// Creates an empty feed.
    public init() {}

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
