import Foundation

/// Keeps sopd under Dataverse's service protection limits on its own side: at most `requests` per
/// sliding window and `concurrent` at once. `acquire` waits (blocking: Dispatch threads only) until a
/// request fits.
public final class RequestBudget: @unchecked Sendable {
    /// Requests allowed per window (Dataverse: 6000 per 5 minutes per user).
    public let requests: Int
    /// The window, in seconds.
    public let windowSeconds: Double
    /// Requests allowed at once (Dataverse: 52 per user).
    public let concurrent: Int
    private let condition = NSCondition()
    private var sent: [Date] = []
    private var inFlight = 0

    /// Creates a budget; the defaults are Dataverse's documented limits.
    public init(requests: Int = 6000, windowSeconds: Double = 300, concurrent: Int = 52) {
        self.requests = max(1, requests)
        self.windowSeconds = windowSeconds
        self.concurrent = max(1, concurrent)
    }

    /// Waits until one more request fits, and counts it.
    public func acquire() {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let now = Date()
            sent.removeAll { now.timeIntervalSince($0) >= windowSeconds }
            if inFlight < concurrent, sent.count < requests {
                sent.append(now)
                inFlight += 1
                return
            }
            let until = sent.count >= requests ? sent[0].addingTimeInterval(windowSeconds) : now.addingTimeInterval(1)
            condition.wait(until: until)
        }
    }

    /// Ends a request counted by `acquire`.
    public func release() {
        condition.lock()
        inFlight -= 1
        condition.signal()
        condition.unlock()
    }
}
