import Foundation
import JSON

/// An order the reference back office accepted.
public struct ReceivedOrder: Sendable {
    /// The back-office order id, such as `BO-000001`.
    public var id: String
    /// The `Idempotency-Key` it was first sent with.
    public var idempotencyKey: String
    /// The canonical order document as received.
    public var document: JSONValue
    /// How many `POST /orders` carried this key (1 when sopd never re-sent it).
    public var deliveries: Int
    /// When the first of them was accepted.
    public var receivedAt: Date

    /// The order as `GET /orders/{id}` and the admin endpoint show it.
    var json: JSONValue {
        [
            "id": .string(id), "idempotencyKey": .string(idempotencyKey), "deliveries": .int(deliveries),
            "receivedAt": .string(receivedAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
            "document": document,
        ]
    }
}
