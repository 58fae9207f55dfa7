/// What in the journal still needs something to happen, both directions together: the same numbers
/// for `--sync-now`'s exit status and summary and for `sopd status`.
public struct JournalBacklog: Sendable, Equatable {
    /// Transfers waiting to be sent or applied: pending, being sent, or failed and due again later.
    public var waiting: Int
    /// Of those, the ones whose last attempt failed.
    public var failed: Int
    /// Transfers given up, waiting for an operator (a refused order returned to its salesperson is not counted:
    /// its next submission is a new transfer).
    public var dead: Int

    /// Creates a backlog.
    public init(waiting: Int = 0, failed: Int = 0, dead: Int = 0) {
        self.waiting = waiting
        self.failed = failed
        self.dead = dead
    }

    /// Whether a transfer failed or is dead: `--sync-now` then exits 1 and `sopd status` says so.
    public var needsAttention: Bool { failed > 0 || dead > 0 }
}
