/// The few settings the offline ops commands read.
public struct OpsSettings: Sendable {
    /// Where the journal is (`journal.*`).
    public var journal: JournalSettings
    /// Seconds between daemon cycles (`sync.intervalSeconds`).
    public var intervalSeconds: Double
    /// How many intervals without a successful cycle make `sopd status` report the sync stale
    /// (`status.staleAfterIntervals`).
    public var staleAfterIntervals: Int

    /// Creates settings.
    public init(journal: JournalSettings, intervalSeconds: Double, staleAfterIntervals: Int) {
        self.journal = journal
        self.intervalSeconds = intervalSeconds
        self.staleAfterIntervals = staleAfterIntervals
    }
}
