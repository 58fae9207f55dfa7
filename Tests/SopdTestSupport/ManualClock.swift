import Clocks
import Foundation

/// A clock that tests move by hand. Waiting on it moves it: a sleep of 3 s, or a wait until a
/// deadline, returns at once with the clock that much later, so what sopd decides from time is the
/// same on an idle and on a loaded machine.
public final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    /// A clock that starts at `start`.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = start
    }

    public func now() -> Date { lock.withLock { current } }

    /// Moves the clock `seconds` on.
    public func advance(by seconds: Double) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }

    public func sleep(seconds: Double) {
        advance(by: max(0, seconds))
    }

    public func wait(on condition: NSCondition, until deadline: Date) {
        lock.withLock { current = max(current, deadline) }
    }
}
