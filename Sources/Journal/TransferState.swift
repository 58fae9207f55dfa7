/// Where a transfer is in its life. `pending → sending → done | failed`, and `failed → sending` on a
/// retry. `sending → sending` is a re-send with the same idempotency key after a crash or an
/// abandoned attempt; `done` is final.
public enum TransferState: String, Sendable, CaseIterable, Codable {
    /// Journaled, not yet sent.
    case pending
    /// An attempt is under way (or was, when sopd stopped).
    case sending
    /// Delivered and acknowledged.
    case done
    /// The last attempt failed; it waits for a retry.
    case failed

    /// Whether a transfer in this state may move to `next`.
    public func canMove(to next: TransferState) -> Bool {
        switch (self, next) {
        case (.pending, .sending), (.failed, .sending), (.sending, .sending): true
        case (.sending, .done), (.sending, .failed): true
        default: false
        }
    }
}
