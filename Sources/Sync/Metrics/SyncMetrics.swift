import CoreMetrics
import Foundation
import Journal
import Synchronization
import Transfers

/// sopd's metrics, recorded through swift-metrics into the factory the process chose (Prometheus in
/// the daemon, nothing by default). What happens in this process (requests, cycles) is recorded as it
/// happens; what the journal knows (outcomes, backlog, peers, checkpoints) is read from it by
/// `refresh(from:)` before each exposition, so it counts every process sharing the journal and
/// survives a restart. Names, help texts and buckets come from `MetricCatalogue`.
public final class SyncMetrics: Sendable {
    /// Where the metrics go.
    public let factory: any MetricsFactory
    /// The journal's totals already added to each counter, by series, so that a refresh adds only what is new.
    private let counted = Mutex<[String: Int]>([:])
    /// The request timers made so far, by peer and method: made once, as the factory's registry lookup (hashing the
    /// labels under its lock) cost more than the recording, on the HTTP client's one transfer thread.
    private let requestTimers = Mutex<[Peer: [String: CoreMetrics.Timer]]>([:])

    /// Creates the metrics over `factory`; every series whose absence would hide a problem starts at zero.
    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
        for peer in Peer.allCases {
            counter(MetricCatalogue.throttled, [peer.rawValue]).increment(by: 0)
            FloatingPointCounter(
                label: MetricCatalogue.retryAfter.name, dimensions: [("peer", peer.rawValue)], factory: factory
            ).increment(by: 0)
        }
        for direction in TransferDirection.allCases {
            for result in ["success", "failure"] { counter(MetricCatalogue.cycles, [direction.metricLabel, result]).increment(by: 0) }
        }
    }

    /// Records the version running as `sopd_build_info{version}`.
    public func recordBuild(version: String) {
        gauge(MetricCatalogue.buildInfo, [version]).record(1)
    }

    /// Records one request to `peer`: how long it took, and a 429 with the wait its `Retry-After` asked.
    public func requestEnded(peer: Peer, method: String, seconds: Double, status: Int?, retryAfter: Double?) {
        let timer = requestTimers.withLock { timers in
            if let timer = timers[peer]?[method] { return timer }
            let timer = CoreMetrics.Timer(
                label: MetricCatalogue.requestDuration.name, dimensions: [("peer", peer.rawValue), ("method", method)], factory: factory)
            timers[peer, default: [:]][method] = timer
            return timer
        }
        timer.recordSeconds(max(seconds, 0))
        if status == 429 { counter(MetricCatalogue.throttled, [peer.rawValue]).increment() }
        if let retryAfter, retryAfter > 0 {
            FloatingPointCounter(label: MetricCatalogue.retryAfter.name, dimensions: [("peer", peer.rawValue)], factory: factory)
                .increment(by: retryAfter)
        }
    }

    /// Records how many requests to `peer` may be in flight now.
    func concurrencyLimit(_ peer: Peer, _ limit: Int) {
        gauge(MetricCatalogue.concurrencyLimit, [peer.rawValue]).record(limit)
    }

    /// Records one cycle of `direction`.
    func cycleEnded(_ direction: TransferDirection, seconds: Double, succeeded: Bool) {
        Timer(label: MetricCatalogue.cycleDuration.name, dimensions: [("direction", direction.metricLabel)], factory: factory)
            .recordSeconds(max(seconds, 0))
        counter(MetricCatalogue.cycles, [direction.metricLabel, succeeded ? "success" : "failure"]).increment()
    }

    /// Reads what the journal knows into the metrics: outcome tallies, backlog, the oldest waiting
    /// transfer, peer outages, the last successful cycles, the journal's size and this process's writes.
    /// - Throws: `JournalError` when the journal cannot be read; the metrics then keep their last values.
    public func refresh(from journal: Journal) throws(JournalError) {
        let now = journal.clock.now()
        let tallies = try journal.tallies()
        let backlogs = try journal.backlogByDirection()
        let outages = try journal.outages()
        for direction in TransferDirection.allCases {
            for outcome in TransferOutcome.allCases {
                let labels = [direction.metricLabel, outcome.rawValue]
                add(total: tallies[direction]?[outcome] ?? 0, to: MetricCatalogue.transfers, labels)
            }
            let backlog = backlogs[direction] ?? DirectionBacklog()
            for state in [TransferState.pending, .sending, .failed, .dead] {
                gauge(MetricCatalogue.backlog, [direction.metricLabel, state.rawValue]).record(backlog.counts[state] ?? 0)
            }
            let age = backlog.oldestWaiting.map { max(now.timeIntervalSince($0), 0) } ?? 0
            gauge(MetricCatalogue.oldestWaiting, [direction.metricLabel]).record(age)
            let lastSuccess = try journal.checkpoint(direction)?.timeIntervalSince1970 ?? 0
            gauge(MetricCatalogue.lastSuccess, [direction.metricLabel]).record(lastSuccess)
        }
        for peer in Peer.allCases {
            let outage = outages.first { $0.peer == peer }
            gauge(MetricCatalogue.peerUp, [peer.rawValue]).record(outage == nil ? 1 : 0)
            gauge(MetricCatalogue.peerFailingSince, [peer.rawValue]).record(outage?.since.timeIntervalSince1970 ?? 0)
        }
        gauge(MetricCatalogue.unreadOrders, []).record(try journal.unreadOrders()?.count ?? 0)
        gauge(MetricCatalogue.excludedOrders, []).record(try journal.excludedOrders()?.count ?? 0)
        gauge(MetricCatalogue.journalSize, []).record(Double(journal.sizeOnDisk()))
        add(total: journal.writesCommitted, to: MetricCatalogue.journalTransitions, [])
        add(total: journal.fencedWritesRefused, to: MetricCatalogue.fencedWrites, [])
        for host in try journal.hosts() {
            gauge(MetricCatalogue.hostLastSeen, [host.owner]).record(host.seenAt.timeIntervalSince1970)
            gauge(MetricCatalogue.hostLeasedTransfers, [host.owner]).record(host.transfersLeased)
        }
        let leases = try journal.leases()
        for name in [Journal.feedLeaseName] {
            let lease = leases.first { $0.name == name && $0.until > now }
            gauge(MetricCatalogue.leaseExpiry, [name]).record(lease?.until.timeIntervalSince1970 ?? 0)
            gauge(MetricCatalogue.leaseHeld, [name]).record(lease?.owner == journal.owner ? 1 : 0)
        }
    }

    /// Adds to a counter what `total` has grown by since the last refresh. A total that went down (another
    /// journal file, a new journal after a reload) becomes the new base, so the counter never goes down.
    private func add(total: Int, to definition: MetricDefinition, _ labels: [String]) {
        let key = ([definition.name] + labels).joined(separator: "\u{1F}")
        let delta = counted.withLock { counted in
            let grown = total - (counted[key] ?? 0)
            counted[key] = total
            return max(grown, 0)
        }
        counter(definition, labels).increment(by: delta)
    }

    private func counter(_ definition: MetricDefinition, _ values: [String]) -> Counter {
        Counter(label: definition.name, dimensions: Array(zip(definition.labels, values)), factory: factory)
    }

    private func gauge(_ definition: MetricDefinition, _ values: [String]) -> Gauge {
        Gauge(label: definition.name, dimensions: Array(zip(definition.labels, values)), factory: factory)
    }
}

extension TransferDirection {
    /// The direction as metrics label it: `outbound` or `inbound`.
    public var metricLabel: String {
        switch self {
        case .outbound: "outbound"
        case .inbound: "inbound"
        }
    }
}
