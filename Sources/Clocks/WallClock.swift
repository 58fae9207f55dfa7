import Foundation

/// Where the data path reads the time and waits for it. sopd runs on `SystemClock`; tests pass a
/// clock they move by hand, so that no decision depends on how fast the machine is.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date

    /// Blocks the calling thread for `seconds` (Dispatch threads only, never a Swift-concurrency one).
    func sleep(seconds: Double)

    /// Waits on `condition`, which the caller holds locked, until it is signalled or `deadline` passes.
    /// - Parameters:
    ///   - condition: The condition the caller holds locked; it is locked again on return.
    ///   - deadline: The latest time to wake up.
    func wait(on condition: NSCondition, until deadline: Date)
}
