/// Where a transfer is in its life. `pending → sending → done | failed | dead`; `failed → sending`
/// when its retry is due; `sending → sending` is a re-send with the same idempotency key after a
/// crash or an abandoned attempt; `sending → pending` gives back a claim no attempt went out under (an order
/// claimed as it was journaled, then held for a failing peer); `failed | dead → pending` when an operator
/// retries it. `done` is final.
public enum TransferState: String, Sendable, CaseIterable, Codable {
    /// Journaled, not yet sent (or put back by an operator).
    case pending
    /// An attempt is under way (or was, when sopd stopped).
    case sending
    /// Delivered and acknowledged.
    case done
    /// The last attempt failed with a retryable error; it waits for its next attempt.
    case failed
    /// Given up: a permanent failure, or too many attempts. It waits for an operator.
    case dead

    /// Whether a transfer in this state may move to `next`.
    public func canMove(to next: TransferState) -> Bool {
        switch (self, next) {
        case (.pending, .sending), (.failed, .sending), (.sending, .sending): true
        case (.sending, .done), (.sending, .failed), (.sending, .dead): true
        case (.failed, .pending), (.dead, .pending), (.sending, .pending): true
        default: false
        }
    }
}
