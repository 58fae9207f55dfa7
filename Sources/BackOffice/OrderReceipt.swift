import JSON
import PeerText

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

    /// Creates a receipt.
    public init(orderId: String, status: Int, replayed: Bool, duration: Double) {
        self.orderId = orderId
        self.status = status
        self.replayed = replayed
        self.duration = duration
    }

    /// Reads the answer to `POST /orders` (`{"id":"…"}`).
    /// - Throws: `BackOfficeError.Code.invalidResponse` when it carries no order id, or one that is not a
    ///   printable identifier (`PeerText.identifier`).
    public init(decoding body: [UInt8], status: Int, replayed: Bool = false, duration: Double = 0) throws(BackOfficeError) {
        let id = (try? JSONParser.parse(body))?["id"]?.stringValue
        guard let orderId = PeerText.identifier(id) else {
            throw BackOfficeError(
                code: .invalidResponse, status: status,
                message: id == nil
                    ? "the answer carries no order id"
                    : "the answer's order id '\(PeerText.clean(id ?? "", limit: 80))' is not a printable identifier of at most \(PeerText.maxIdentifierLength) bytes")
        }
        self.init(orderId: orderId, status: status, replayed: replayed, duration: duration)
    }
}
