import Foundation

/// The real time: the one place in sopd's data path that reads the system clock.
public struct SystemClock: WallClock {
    /// Creates the clock.
    public init() {}

    /// The system's time.
    public func now() -> Date { Date() }

    /// Sleeps the calling thread.
    public func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        Thread.sleep(forTimeInterval: seconds)
    }

    /// Waits on the condition until it is signalled or the deadline passes.
    public func wait(on condition: NSCondition, until deadline: Date) {
        _ = condition.wait(until: deadline)
    }
}
