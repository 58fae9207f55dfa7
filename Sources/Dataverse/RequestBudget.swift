import Clocks
import Foundation

/// Keeps sopd under Dataverse's service protection limits on its own side, spending the window's requests at
/// an even pace rather than in bursts: a hundredth of them may go at once after a quiet spell (`burst`), the rest at
/// `ratePerSecond`, so that no window a hundredth longer than `windowSeconds` holds more than `requests` (98 % of
/// the limit's own pace, sustained; arrivals whose delays differ by up to a hundredth of the window stay within it); and at most `concurrent` at once. While both lanes (outbound, inbound) wait, they take turns, so neither starves the other. A 429's
/// `Retry-After` holds every lane (`holdOff`). `close` ends every wait, for a stop.
/// `acquire` waits (blocking: Dispatch threads only).
public final class RequestBudget: @unchecked Sendable {
    /// Who asks for a request: each lane keeps its turn while the other waits too.
    public enum Lane: Int, Sendable, CaseIterable {
        /// Orders out, and their stamps.
        case outbound
        /// Back-office events in, and the checks before them.
        case inbound
    }

    /// Requests allowed per window (Dataverse: 6000 per 5 minutes per user).
    public let requests: Int
    /// The window, in seconds.
    public let windowSeconds: Double
    /// Requests allowed at once (Dataverse: 52 per user).
    public let concurrent: Int
    /// Requests that may go at once after a quiet spell: a hundredth of the window's, at least 1.
    public let burst: Int
    /// Where the window's time comes from.
    public let clock: any WallClock
    private let condition = NSCondition()
    private var tokens: Double
    private var refilledAt: Date
    private var inFlight = 0
    private var waiting = [Int](repeating: 0, count: Lane.allCases.count)
    private var lastServed: Lane?
    private var heldUntil: Date?
    private var closed = false

    /// Creates a budget; the defaults are Dataverse's documented limits.
    public init(requests: Int = 6000, windowSeconds: Double = 300, concurrent: Int = 52, clock: any WallClock = SystemClock()) {
        self.requests = max(1, requests)
        self.windowSeconds = windowSeconds
        self.concurrent = max(1, concurrent)
        self.clock = clock
        burst = max(1, self.requests / 100)
        tokens = Double(burst)
        refilledAt = clock.now()
    }

    /// The even pace, in requests per second, at which the window's requests beyond the burst are spent: the burst and
    /// a window a hundredth longer than Dataverse's at this pace hold the limit, so that requests whose delays on the
    /// way differ by up to a hundredth of the window (Dataverse counts by arrival) never put more than the limit in one
    /// of its windows. 6000 per 300 s: 60 at once, then 19.6 a second.
    public var ratePerSecond: Double { Double(max(1, requests - burst)) / (windowSeconds * 1.01) }

    /// Waits until one more request of `lane` fits and counts it; once the budget is closed, false instead of any wait.
    public func acquire(_ lane: Lane = .outbound) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        waiting[lane.rawValue] += 1
        defer { waiting[lane.rawValue] -= 1 }
        while true {
            let now = clock.now()
            refill(now)
            let held = heldUntil.map { $0 > now } ?? false
            let free = !held && inFlight < concurrent && (closed || Self.hasTurn(lane, waiting: waiting, lastServed: lastServed))
            // Within a millionth of a token counts as one: the refill's rounding must not keep a request waiting.
            if free, tokens >= 1 - 1e-6 {
                tokens = max(0, tokens - 1)
                inFlight += 1
                lastServed = lane
                condition.broadcast()
                return true
            }
            if closed { return false }
            if held, let until = heldUntil {
                clock.wait(on: condition, until: until)
            } else if !free {
                condition.wait()
            } else {
                clock.wait(on: condition, until: now.addingTimeInterval(max(0.001, (1 - tokens) / ratePerSecond)))
            }
        }
    }

    /// Ends a request counted by `acquire`.
    public func release() {
        condition.lock()
        inFlight -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Holds every lane for `seconds`, as a 429's `Retry-After` asks: Dataverse extends the wait of a client
    /// that keeps sending. Returns at once.
    public func holdOff(seconds: Double) {
        condition.lock()
        let until = clock.now().addingTimeInterval(seconds)
        if heldUntil.map({ $0 < until }) ?? true { heldUntil = until }
        condition.broadcast()
        condition.unlock()
    }

    /// Ends every wait, now and later: `acquire` answers false where it would wait. For a stop, which never
    /// waits on the budget.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Whether `lane` may take the next request: always when no other lane waits; while one does, the lanes
    /// take turns.
    static func hasTurn(_ lane: Lane, waiting: [Int], lastServed: Lane?) -> Bool {
        lastServed != lane || !waiting.indices.contains { $0 != lane.rawValue && waiting[$0] > 0 }
    }

    private func refill(_ now: Date) {
        let elapsed = now.timeIntervalSince(refilledAt)
        guard elapsed > 0 else {
            // A clock set back starts the refill from its new time rather than waiting for the old one.
            if elapsed < 0 { refilledAt = now }
            return
        }
        tokens = min(Double(burst), tokens + elapsed * ratePerSecond)
        refilledAt = now
    }
}
