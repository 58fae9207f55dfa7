/// The back office's answer to an accepted order.
public struct OrderReceipt: Sendable, Equatable {
    /// The back-office order id.
    public var orderId: String
    /// The HTTP status (201 the first time; the same again on a replay).
    public var status: Int
    /// Whether the back office said this was a replay of an earlier request with the same key.
    public var replayed: Bool
    /// Seconds the request took.
    public var duration: Double
}
