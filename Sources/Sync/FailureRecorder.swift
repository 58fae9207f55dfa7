import Clocks
import Foundation
import Journal
import PeerText
import Transfers

/// The one path by which a failed attempt, outbound or inbound, reaches the journal: the retry
/// policy's disposition at the clock's time with the random source's jitter, the transfer failed or
/// dead, and the attempt in its history.
struct FailureRecorder: Sendable {
    let journal: Journal
    let policy: RetryPolicy
    let clock: any WallClock
    let random: any RandomSource

    /// A failed attempt of a claimed transfer.
    struct Failure {
        /// How the failure is classed.
        var failure: FailureClass
        /// Why, free of secrets.
        var reason: String
        /// The HTTP status, if there was an answer.
        var status: Int?
        /// The peer's id, when the failure came after the peer accepted the document.
        var remoteId: String?
        /// How the attempt history names it, such as `retryable: server error`.
        var outcome: String
    }

    /// Journals `failure` of `transfer`'s attempt (under its claim's fence) that started at `started` and took `durationMs`; its
    /// reason passes through `PeerText` once more (secrets masked, control characters escaped, at most
    /// 1000 characters).
    /// - Returns: What became of the transfer.
    func record(_ failure: Failure, of transfer: Transfer, started: Date, durationMs: Int) throws(JournalError)
        -> FailureDisposition
    {
        guard let id = transfer.id else { throw JournalError("the journal returned a transfer without id") }
        let reason = PeerText.clean(failure.reason, limit: 1000)
        let disposition = policy.disposition(
            after: transfer.attempts, failure: failure.failure, journaledAt: transfer.horizonStart ?? transfer.createdAt, now: clock.now(),
            random: random.unit())
        try journal.fail(
            id, reason: reason, status: failure.status, remoteId: failure.remoteId, disposition: disposition,
            attempt: AttemptLog(startedAt: started, durationMs: durationMs, outcome: failure.outcome, excerpt: reason),
            fence: transfer.fence)
        return disposition
    }
}
