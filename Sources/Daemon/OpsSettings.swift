/// The few settings the offline ops commands read.
public struct OpsSettings: Sendable {
    /// The journal file (`journal.path`).
    public var journalPath: String
    /// Seconds between daemon cycles (`sync.intervalSeconds`).
    public var intervalSeconds: Double
    /// How many intervals without a successful cycle make `sopd status` report the sync stale
    /// (`status.staleAfterIntervals`).
    public var staleAfterIntervals: Int

    /// Creates settings.
    public init(journalPath: String, intervalSeconds: Double, staleAfterIntervals: Int) {
        self.journalPath = journalPath
        self.intervalSeconds = intervalSeconds
        self.staleAfterIntervals = staleAfterIntervals
    }
}
