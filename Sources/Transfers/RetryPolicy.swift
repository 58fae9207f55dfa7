import Foundation

/// When a failed transfer is tried again: exponential backoff with full jitter, at least what the
/// peer's `Retry-After` asks, dead after `maxAttempts` or at once on a permanent failure. Pure.
public struct RetryPolicy: Sendable, Equatable {
    /// Seconds of the first backoff window.
    public var baseSeconds: Double
    /// The largest backoff window, in seconds.
    public var capSeconds: Double
    /// Attempts before a transfer is dead.
    public var maxAttempts: Int

    /// Creates a policy; the defaults wait up to 2, 4, 8 … 300 seconds and give up after 10 attempts.
    public init(baseSeconds: Double = 2, capSeconds: Double = 300, maxAttempts: Int = 10) {
        self.baseSeconds = baseSeconds
        self.capSeconds = capSeconds
        self.maxAttempts = maxAttempts
    }

    /// What becomes of a transfer whose attempt number `attempt` failed with `failure`.
    /// - Parameters:
    ///   - attempt: 1 for the first attempt.
    ///   - failure: The failure's class.
    ///   - now: The current time.
    ///   - random: A number in 0..<1 (the jitter).
    public func disposition(after attempt: Int, failure: FailureClass, now: Date, random: Double)
        -> FailureDisposition
    {
        if failure == .permanent || attempt >= maxAttempts { return .dead }
        let window = min(capSeconds, baseSeconds * pow(2, Double(max(0, attempt - 1))))
        var delay = window * random
        if failure == .conflict { delay = min(delay, baseSeconds) }
        if case .retryable(let retryAfter?) = failure { delay = max(delay, retryAfter) }
        return .retry(at: now.addingTimeInterval(delay))
    }
}
