import BackOffice
import Clocks
import Dataverse
import Dispatch
import Foundation
import HTTP
import Journal
import Logging
import Synchronization
import Transfers

/// Runs sync cycles (outbound, then inbound) one at a time on a serial Dispatch queue, so cycles never overlap, whether
/// they are asked for by a timer, a signal or `--sync-now`.
public final class SyncEngine: Sendable {
    private let outbound: OutboundPipeline
    private let inbound: InboundPipeline
    private let circuits: PeerCircuits
    private let journal: Journal
    private let settings: SyncSettings
    private let logger: Logger
    private let metrics: SyncMetrics
    private let queue = DispatchQueue(label: "sopd.cycle")
    private let probeQueue = DispatchQueue(label: "sopd.probe")
    /// Each direction's checkpoint, recorded by a sliced cycle every 10 s at most: `sopd status` and the metrics
    /// may be that much behind.
    private let checkpoints = Mutex(
        Dictionary(uniqueKeysWithValues: TransferDirection.allCases.map { ($0, Periodic(every: 10)) }))
    /// This process's heartbeat in the journal, for `sopd status` and the metrics of several hosts: every 10 s at most.
    private let heartbeats = Mutex(Periodic(every: 10))
    /// When this engine started, as its heartbeat says.
    private let startedAt: Date
    /// Renews this process's claims while the engine lives.
    private let leases: LeaseKeeper
    /// Pruning reads every done transfer: every ten minutes at most.
    private let pruning = Mutex(Periodic(every: 600))
    /// What the last look at the submitted, unsent orders saw; nil before the first, and after a read that failed.
    private let lastProbe = Mutex<String?>(nil)
    /// What the last check of the acting user and the switch said: nil before the first, then the refusal or "".
    private let access = Mutex<String?>(nil)

    /// Creates an engine over the given peers and journal; `progress` hears how many orders a cycle
    /// handled so far, and of how many once known. The time comes from the journal's clock, the
    /// jitter of retries from `random`; cycles are measured into `metrics`.
    public init(
        dataverse: DataverseClient, backOffice: any BackOfficeAdapter, journal: Journal, settings: SyncSettings,
        logger: Logger, random: any RandomSource = SystemRandom(), metrics: SyncMetrics = SyncMetrics(),
        progress: (@Sendable (_ done: Int, _ total: Int?) -> Void)? = nil
    ) {
        self.journal = journal
        self.startedAt = journal.clock.now()
        leases = LeaseKeeper(journal: journal, logger: logger)
        self.metrics = metrics
        self.settings = settings
        self.logger = logger
        let circuits = PeerCircuits(journal: journal, policy: settings.retry, random: random, logger: logger)
        let failures = FailureRecorder(journal: journal, policy: settings.retry, clock: journal.clock, random: random)
        self.circuits = circuits
        outbound = OutboundPipeline(
            dataverse: dataverse.on(.outbound), backOffice: backOffice, journal: journal, settings: settings, logger: logger,
            failures: failures, circuits: circuits, progress: progress)
        inbound = InboundPipeline(
            dataverse: dataverse.on(.inbound), backOffice: backOffice, journal: journal, settings: settings, logger: logger,
            failures: failures, circuits: circuits)
    }

    /// One cycle: orders out, then the back office's changes in.
    /// Each direction that succeeded records its checkpoint (for `sopd status` and the metrics; a sliced cycle
    /// every 10 s at most); done transfers past the retention are pruned every ten minutes at most.
    private func cycle(_ kind: CycleKind, slice: Double?) -> CycleReport {
        let started = DispatchTime.now()
        let deadline = slice.map { started + $0 }
        var report = CycleReport()
        if kind != .inbound {
            report = outbound.run(readingDynamics: kind != .retries, deadline: deadline)
            // What the read missed is found again by the next look.
            if report.readError != nil { lastProbe.withLock { $0 = nil } }
        }
        let outboundEnded = DispatchTime.now()
        if kind == .full || kind == .inbound {
            report.inbound = inbound.run(deadline: deadline)
            report.cutShort = report.cutShort || report.inbound.cutShort
            if report.inbound.accessChecked { access.withLock { $0 = report.inbound.refusal ?? "" } }
        }
        let outages = circuits.outages
        report.outages = outages
        do {
            if kind != .inbound {
                let succeeded = report.outboundSucceeded
                metrics.cycleEnded(.outbound, seconds: Self.seconds(from: started, to: outboundEnded), succeeded: succeeded)
                metrics.concurrencyLimit(.backOffice, outbound.backOfficeConcurrency)
                if succeeded, kind != .retries { try checkpoint(.outbound, always: slice == nil) }
            }
            // A pass that left the feed to the sopd holding its lease says nothing of how inbound goes: that one's
            // checkpoints tell (the journal is shared).
            if kind == .full || kind == .inbound, report.inbound.readBy == nil {
                let succeeded = report.inboundSucceeded
                metrics.cycleEnded(.inbound, seconds: Self.seconds(from: outboundEnded, to: .now()), succeeded: succeeded)
                if succeeded { try checkpoint(.inbound, always: slice == nil) }
            }
            let now = journal.clock.now()
            if heartbeats.withLock({ $0.due(at: now) }) { try journal.heartbeat(version: BuildInfo.version, startedAt: startedAt) }
            if pruning.withLock({ $0.due(at: now) }) {
                let pruned = try journal.prune(doneBefore: now.addingTimeInterval(-settings.retentionSeconds))
                try journal.forgetHosts(notSeenSince: now.addingTimeInterval(-86_400))
                if pruned > 0 { logger.info("pruned done transfers past the retention", metadata: ["count": .stringConvertible(pruned)]) }
            }
            report.backlog = try journal.backlog()
        } catch {
            logger.error("cannot record the cycle in the journal", metadata: ["error": "\(error)"])
        }
        report.duration = Self.seconds(from: started, to: .now())
        return report
    }

    /// Records that a cycle of `direction` succeeded: always for a whole cycle, for a slice of the daemon's only
    /// when its `Periodic` is due (a daemon polling every couple of seconds would otherwise write the journal as often).
    private func checkpoint(_ direction: TransferDirection, always: Bool) throws(JournalError) {
        let now = journal.clock.now()
        let due = checkpoints.withLock { $0[direction]!.due(at: now) }
        if due || always { try journal.setCheckpoint(direction, at: now) }
    }

    private static func seconds(from start: DispatchTime, to end: DispatchTime) -> Double {
        Double(end.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// Gives back the leases this process holds on work only one sopd does (the back office's change feed), as a
    /// stopping sopd does, so that another host takes the work over at once rather than when the lease ends.
    public func releaseLeases() {
        inbound.releaseFeedLease()
    }

    /// Takes what `previous` learned of the acting user and the switch, as a configuration reload
    /// replaces an engine on the same organization: readiness then does not wait for the next inbound cycle.
    public func adoptAccessCheck(of previous: SyncEngine) {
        let known = previous.access.withLock { $0 }
        access.withLock { $0 = known }
    }

    /// What the engine knows of its peers for a readiness check: the outages under way, and what the
    /// last check of the acting user and the switch said.
    public var health: EngineHealth {
        EngineHealth(outages: circuits.outages, accessRefusal: access.withLock { $0 })
    }

    /// What a cycle does.
    public enum CycleKind: String, Sendable {
        /// Due retries, new submitted orders out, then the back office's changes in.
        case full
        /// Due retries and new submitted orders out (the outbound poll).
        case outbound
        /// The back office's changes in (the inbound poll).
        case inbound
        /// Only the transfers the journal says are due (the retry sweep).
        case retries
    }

    /// Looks, in one Dataverse request, whether the submitted, unsent orders changed since the last look
    /// (`SubmittedOrdersProbe`), and calls `completion` with whether an outbound cycle should run: yes when they
    /// changed, at the first look, and when the look failed (the cycle then records the failure in Dataverse's
    /// circuit); no while Dataverse is failing (the retry sweep probes it) or sopd is stopping. With change
    /// tracking the outbound read is itself one request when nothing changed, so the answer is always yes.
    /// Runs beside a cycle under way, not after it.
    public func probeOutbound(completion: @escaping @Sendable (Bool) -> Void) {
        probeQueue.async { completion(self.outboundChanged()) }
    }

    private func outboundChanged() -> Bool {
        if settings.changeTracking { return true }
        guard circuits.outage(of: .dataverse) == nil else { return false }
        do {
            let fingerprint = try outbound.probe()
            return lastProbe.withLock { last in
                defer { last = fingerprint }
                return last != fingerprint
            }
        } catch {
            if error.code == .stopping { return false }
            lastProbe.withLock { $0 = nil }
            return true
        }
    }

    /// Queues one cycle of `kind` after any under way and calls `completion` with its report. A cycle with a
    /// `slice` (seconds) starts no further page or round of events once that long has passed, and reports
    /// `cutShort`: so that the daemon's directions take turns on the one queue, neither waiting long for the other.
    public func startCycle(
        _ kind: CycleKind = .full, slice: Double? = nil, completion: @escaping @Sendable (CycleReport) -> Void
    ) {
        queue.async { completion(self.cycle(kind, slice: slice)) }
    }

    /// Runs one cycle of `kind` on the engine's queue and suspends until it ends.
    public func runCycle(_ kind: CycleKind = .full) async -> CycleReport {
        await withCheckedContinuation { continuation in
            startCycle(kind) { continuation.resume(returning: $0) }
        }
    }

    /// Runs `body` on the engine's queue after any cycle under way, for a graceful stop.
    public func afterCurrentCycle(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }
}
