import Foundation

/// When a failed transfer is tried again: exponential backoff with full jitter, capped, at least what
/// the peer's `Retry-After` asks. A retryable failure never makes a transfer dead by how many attempts
/// it took: only a permanent failure does, or age past the give-up horizon; a conflict (the row changed
/// while sopd wrote it) never does, since re-reading resolves it. Pure.
public struct RetryPolicy: Sendable, Equatable {
    /// Seconds of the first backoff window.
    public var baseSeconds: Double
    /// The largest backoff window, in seconds.
    public var capSeconds: Double
    /// How long after it was journaled a transfer that still fails is given up, in seconds; 0 never.
    public var giveUpAfterSeconds: Double

    /// The longest wait before a retry, whatever the settings or a peer's `Retry-After` say: one day,
    /// so that every retry time is a date the journal can store and read back.
    public static let maximumDelaySeconds: Double = 86_400

    /// Creates a policy; the defaults wait up to 2, 4, 8 … 300 seconds and give up 72 hours after
    /// the transfer was journaled.
    public init(baseSeconds: Double = 2, capSeconds: Double = 300, giveUpAfterSeconds: Double = 72 * 3600) {
        self.baseSeconds = baseSeconds
        self.capSeconds = capSeconds
        self.giveUpAfterSeconds = giveUpAfterSeconds
    }

    /// What becomes of a transfer journaled at `journaledAt` whose attempt number `attempt` failed with `failure`.
    /// - Parameters:
    ///   - attempt: 1 for the first attempt.
    ///   - failure: The failure's class.
    ///   - journaledAt: When the transfer was journaled: the start of its give-up horizon.
    ///   - now: The current time.
    ///   - random: A number in 0..<1 (the jitter).
    public func disposition(after attempt: Int, failure: FailureClass, journaledAt: Date, now: Date, random: Double)
        -> FailureDisposition
    {
        if failure == .permanent || (failure != .conflict && isPastHorizon(journaledAt: journaledAt, now: now)) {
            return .dead
        }
        var delay = backoff(after: attempt, random: random)
        if case .retryable(let retryAfter?) = failure, retryAfter.isFinite { delay = max(delay, retryAfter) }
        return .retry(at: now.addingTimeInterval(delay.isFinite ? min(max(delay, 0), Self.maximumDelaySeconds) : Self.maximumDelaySeconds))
    }

    /// Whether a transfer journaled at `journaledAt` is past the give-up horizon at `now`.
    public func isPastHorizon(journaledAt: Date, now: Date) -> Bool {
        giveUpAfterSeconds > 0 && now.timeIntervalSince(journaledAt) >= giveUpAfterSeconds
    }

    /// The wait after failure number `attempt`: a random share (`random`, in 0..<1) of a window that
    /// doubles from `baseSeconds` up to `capSeconds`.
    public func backoff(after attempt: Int, random: Double) -> Double {
        min(capSeconds, baseSeconds * pow(2, Double(max(0, attempt - 1)))) * random
    }
}
