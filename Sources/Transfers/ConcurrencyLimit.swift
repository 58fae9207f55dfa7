import Foundation

/// How many requests to one peer may be in flight at once, learnt as TCP Vegas learns its window and as Netflix's
/// concurrency-limits library does (`VegasLimit`): the shortest answer time seen is the peer's time without a
/// queue; the answers of a window of requests say how many requests wait in a queue somewhere
/// (`limit × (1 − shortest / average)`). Few waiting: the limit grows, by log10 of itself; many: it shrinks as much,
/// down to where it started; a request dropped (timeout, lost connection, 429, 5xx) halves it at once, below that too. It grows only while it binds (the
/// window saw the limit in flight), stays within 1 and `maximum`, and every 50 windows one window runs at a quarter
/// of the limit and its shortest time is taken afresh, as Netflix's probe does, so that a peer that became slower for
/// good is not read as queueing for ever. Pure: the times come in.
public struct ConcurrencyLimit: Sendable {
    /// The most requests in flight, whatever the answers say (`sync.maxInFlight`).
    public let maximum: Int
    /// Whether the limit learns; a fixed one stays at `maximum`.
    public let adaptive: Bool
    private var limit: Double
    /// The least limit slow answers leave: the initial one. A peer that shares its cores with sopd answers slower with
    /// every request added (its time is also sopd's), and would otherwise be read as queueing at any concurrency.
    private let floor: Double
    private var shortest: Double?
    private var window = Window()
    private var windows = 0
    /// The limit to go back to after the window that measures the peer's time without a queue.
    private var resume: Double?

    private struct Window {
        var count = 0
        var sum = 0.0
        var shortest = Double.infinity
        var bound = false
        var dropped = false
    }

    /// A learning limit that starts at `initial` (within 1 and `maximum`); answers that slow down bring it back to
    /// `initial`, not below: only drops do.
    public init(initial: Int, maximum: Int) {
        self.maximum = max(1, maximum)
        adaptive = true
        limit = Double(min(max(1, initial), self.maximum))
        floor = limit
    }

    /// A fixed limit of `fixed`.
    public init(fixed: Int) {
        maximum = max(1, fixed)
        adaptive = false
        limit = Double(maximum)
        floor = limit
    }

    /// Requests that may be in flight now.
    public var current: Int { max(1, Int(limit)) }

    /// A request answered after `seconds`, sent with `inFlight` requests in flight (itself included);
    /// `dropped` when it timed out, lost its connection, or was answered 429 or 5xx.
    public mutating func record(seconds: Double, inFlight: Int, dropped: Bool) {
        guard adaptive else { return }
        // The window that measures the peer afresh counts only what was sent at its quarter of the limit.
        if resume != nil, inFlight > current, !dropped { return }
        window.count += 1
        window.bound = window.bound || inFlight >= current
        if dropped {
            window.dropped = true
        } else {
            window.sum += seconds
            window.shortest = min(window.shortest, seconds)
        }
        guard window.count >= max(10, current) else { return }
        update()
        window = Window()
    }

    private mutating func update() {
        windows += 1
        if window.dropped {
            limit = max(1, (resume ?? limit) / 2)
            resume = nil
            return
        }
        guard window.shortest.isFinite, window.sum > 0 else { return }
        if let resume {
            // This window ran at a quarter of the limit: its shortest time is the peer's without a queue.
            shortest = window.shortest
            limit = resume
            self.resume = nil
            return
        }
        shortest = min(shortest ?? window.shortest, window.shortest)
        let average = window.sum / Double(window.count)
        let queued = limit * (1 - (shortest ?? average) / average)
        let step = max(1, log10(limit))
        if queued < 3 * step {
            if window.bound { limit += step }
        } else if queued > 6 * step {
            limit = Swift.max(Swift.min(limit, floor), limit - step)
        }
        limit = min(Double(maximum), max(1, limit))
        if windows % 50 == 0 {
            resume = limit
            limit = max(1, limit / 4)
        }
    }
}
