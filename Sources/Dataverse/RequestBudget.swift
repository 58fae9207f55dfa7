import Clocks
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
    /// Where the window's time comes from.
    public let clock: any WallClock
    private let condition = NSCondition()
    private var sent: [Date] = []
    private var inFlight = 0

    /// Creates a budget; the defaults are Dataverse's documented limits.
    public init(requests: Int = 6000, windowSeconds: Double = 300, concurrent: Int = 52, clock: any WallClock = SystemClock()) {
        self.requests = max(1, requests)
        self.windowSeconds = windowSeconds
        self.concurrent = max(1, concurrent)
        self.clock = clock
    }

    /// Waits until one more request fits, and counts it.
    public func acquire() {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let now = clock.now()
            sent.removeAll { $0.addingTimeInterval(windowSeconds) <= now }
            if sent.count >= requests {
                clock.wait(on: condition, until: sent[0].addingTimeInterval(windowSeconds))
            } else if inFlight >= concurrent {
                condition.wait()
            } else {
                sent.append(now)
                inFlight += 1
                return
            }
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
