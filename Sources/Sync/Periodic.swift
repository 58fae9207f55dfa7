import Foundation

/// A chore of the engine that need not run every cycle of a near-real-time daemon: due the first time, then
/// once `seconds` have passed on the journal's clock (a clock set back makes it due at once). Pure.
struct Periodic: Sendable {
    /// The least time between two runs.
    let seconds: Double
    private var last: Date?

    init(every seconds: Double) {
        self.seconds = seconds
    }

    /// Whether the chore is due at `now`, counted as run when it is.
    mutating func due(at now: Date) -> Bool {
        if let last, (0..<seconds).contains(now.timeIntervalSince(last)) { return false }
        last = now
        return true
    }
}
