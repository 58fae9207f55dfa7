/// Every metric sopd exposes, in one place: the recorders name them from here, the Prometheus
/// exposition takes their help texts and buckets from here, and docs/metrics.md is checked against it.
public enum MetricCatalogue {
    /// Attempts by how they ended, from the journal's tallies, so they survive a restart.
    public static let transfers = MetricDefinition(
        "sopd_transfers_total", .counter, labels: ["direction", "outcome"],
        help: "Transfer attempts by direction (outbound, inbound) and outcome (delivered, failed and waiting for a retry, dead), from the journal.")
    /// The journal's backlog by direction and state.
    public static let backlog = MetricDefinition(
        "sopd_backlog_transfers", .gauge, labels: ["direction", "state"],
        help: "Transfers in the journal that still need something to happen, by direction and state (pending, sending, failed, dead).")
    /// Submitted orders Dynamics holds that sopd has not read yet.
    public static let unreadOrders = MetricDefinition(
        "sopd_unread_orders", .gauge,
        help: "Submitted orders in Dynamics not yet sent and not yet read into the journal, as counted at the last outbound read (Dataverse counts up to 5000).")
    /// Submitted orders `intake.filter` leaves out.
    public static let excludedOrders = MetricDefinition(
        "sopd_intake_excluded_orders", .gauge,
        help: "Submitted orders in Dynamics not yet sent that intake.filter leaves out, as counted at the last outbound read; 0 without a filter.")
    /// How long the oldest waiting transfer of a direction has waited.
    public static let oldestWaiting = MetricDefinition(
        "sopd_oldest_waiting_transfer_age_seconds", .gauge, labels: ["direction"],
        help: "Seconds since the oldest transfer still waiting to go (pending, sending or failed) was journaled; 0 when none waits.")
    /// Whether a peer answers.
    public static let peerUp = MetricDefinition(
        "sopd_peer_up", .gauge, labels: ["peer"],
        help: "1 while the peer (dataverse, backoffice) answers, 0 while sopd holds what needs it and probes it.")
    /// Since when a peer fails.
    public static let peerFailingSince = MetricDefinition(
        "sopd_peer_failing_since_timestamp_seconds", .gauge, labels: ["peer"],
        help: "Unix time of the first failure of the peer's outage under way; 0 while it answers.")
    /// Request durations.
    public static let requestDuration = MetricDefinition(
        "sopd_peer_request_duration_seconds", .histogram, labels: ["peer", "method"],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        help: "Seconds from sending a request to a peer to its whole answer, or to its failure, by peer and HTTP method.")
    /// 429 answers.
    public static let throttled = MetricDefinition(
        "sopd_peer_throttled_total", .counter, labels: ["peer"],
        help: "Answers 429 Too Many Requests from the peer (Dataverse service protection limits, the back office's rate limit).")
    /// Seconds the peers asked sopd to wait.
    public static let retryAfter = MetricDefinition(
        "sopd_peer_retry_after_seconds_total", .counter, labels: ["peer"],
        help: "Seconds the peer asked sopd to wait with Retry-After, summed over its answers.")
    /// Cycle durations.
    public static let cycleDuration = MetricDefinition(
        "sopd_cycle_duration_seconds", .histogram, labels: ["direction"],
        buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
        help: "Seconds a sync cycle of the direction took (outbound: due retries and submitted orders out; inbound: the back office's changes in).")
    /// Cycles by result.
    public static let cycles = MetricDefinition(
        "sopd_cycles_total", .counter, labels: ["direction", "result"],
        help: "Sync cycles by direction and result: success when every peer answered and nothing failed for want of one, failure otherwise.")
    /// When a direction last succeeded.
    public static let lastSuccess = MetricDefinition(
        "sopd_last_success_timestamp_seconds", .gauge, labels: ["direction"],
        help: "Unix time the last successful cycle of the direction ended, from the journal (0 before the first); sopd status shows the same.")
    /// The journal on disk.
    public static let journalSize = MetricDefinition(
        "sopd_journal_size_bytes", .gauge,
        help: "Bytes the journal takes on disk, its write-ahead log included.")
    /// Journal writes of this process.
    public static let journalTransitions = MetricDefinition(
        "sopd_journal_transitions_total", .counter,
        help: "Writes this process committed to the journal: transfers journaled, claimed, settled or retried, cursors and checkpoints moved.")
    /// Writes refused by fencing.
    public static let fencedWrites = MetricDefinition(
        "sopd_journal_fenced_writes_total", .counter,
        help: "Outcomes and feed reads of this process the journal refused because another sopd claimed the work after this one's lease ran out (a pause or a partition longer than journal.leaseSeconds).")
    /// Hosts sharing the journal.
    public static let hostLastSeen = MetricDefinition(
        "sopd_journal_host_last_seen_timestamp_seconds", .gauge, labels: ["host"],
        help: "Unix time each sopd sharing the journal (host:pid) last wrote its heartbeat (every 10 s while it runs).")
    /// Transfers each host holds a lease on.
    public static let hostLeasedTransfers = MetricDefinition(
        "sopd_journal_host_leased_transfers", .gauge, labels: ["host"],
        help: "Transfers each sopd sharing the journal (host:pid) is sending under its lease.")
    /// Work leases.
    public static let leaseExpiry = MetricDefinition(
        "sopd_lease_expiry_timestamp_seconds", .gauge, labels: ["lease"],
        help: "Unix time the lease on the work only one sopd does (backoffice.changes: reading the back office's change feed) ends unless its holder renews it; 0 when nobody holds it.")
    /// Whether this process holds a work lease.
    public static let leaseHeld = MetricDefinition(
        "sopd_lease_held", .gauge, labels: ["lease"],
        help: "1 while this sopd holds the lease (backoffice.changes: it reads the back office's change feed), 0 while another does or nobody.")
    /// The requests to a peer that may be in flight at once.
    public static let concurrencyLimit = MetricDefinition(
        "sopd_peer_concurrency_limit", .gauge, labels: ["peer"],
        help: "Requests to the peer sopd lets be in flight at once, as learnt from its answer times (sync.adaptiveInFlight), sync.maxInFlight at most.")
    /// The version running.
    public static let buildInfo = MetricDefinition(
        "sopd_build_info", .gauge, labels: ["version"],
        help: "Always 1; the label tells the version of sopd running.")

    /// Every metric, in the order docs/metrics.md lists them.
    public static let all: [MetricDefinition] = [
        transfers, backlog, unreadOrders, excludedOrders, oldestWaiting, peerUp, peerFailingSince, requestDuration, throttled, retryAfter, concurrencyLimit,
        cycleDuration, cycles, lastSuccess, journalSize, journalTransitions, fencedWrites, hostLastSeen, hostLeasedTransfers,
        leaseExpiry, leaseHeld, buildInfo,
    ]

    /// The definition named `name`, or nil.
    public static func definition(named name: String) -> MetricDefinition? {
        all.first { $0.name == name }
    }
}
