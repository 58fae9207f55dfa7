import Clocks
import Dispatch
import Foundation
import HTTP
import HTTPListener
import Journal
import Logging
import Synchronization
import Sync

/// The long-running daemon. Dispatch timers on a serial control queue drive the outbound poll, the
/// inbound poll, the retry sweep and the look for newly submitted orders (which starts an outbound cycle
/// when something changed), each re-armed with ±10% jitter; the engine runs their cycles one
/// at a time, so cycles never overlap, and each takes new work for `sliceSeconds` at most before the next
/// waiting cycle gets its turn (a backlog goes on in the cycle queued right after). SIGUSR1 runs a whole
/// full cycle now; SIGHUP reloads the
/// configuration (a bad one is refused and the running one kept); SIGTERM and SIGINT stop after the
/// cycle under way, or after `sync.stopTimeoutSeconds` at most, when its transfers stay `sending` and
/// are re-sent at the next start. systemd hears `READY=1`, `STATUS=`, `RELOADING=1`, `STOPPING=1` and
/// `WATCHDOG=1` from the control queue, so a stuck loop gets the service restarted.
public final class DaemonLoop: @unchecked Sendable {
    /// Reads and validates the configuration again, for SIGHUP.
    public typealias Reload = @Sendable () async throws -> SopdConfiguration
    /// Builds the runtime of a configuration.
    public typealias MakeRuntime = @Sendable (SopdConfiguration) throws -> Runtime

    private let reloadConfiguration: Reload
    private let makeRuntime: MakeRuntime
    private let notifier: SystemdNotifier?
    private let logger: Logger
    private let random: any RandomSource
    private let control = DispatchQueue(label: "sopd.control")
    private var configuration: SopdConfiguration
    private var runtime: Runtime {
        didSet { published.withLock { $0 = runtime } }
    }
    /// The running runtime, for the monitoring endpoint's threads.
    private let published: Mutex<Runtime>
    /// Set once a stop begins, for the monitoring endpoint's threads.
    private let stopRequested = Mutex(false)
    private var timers: [DispatchSourceTimer] = []
    private var signals: [any DispatchSourceSignal] = []
    private var queued: Set<SyncEngine.CycleKind> = []
    /// Whether a look is under way: one waiting on the budget or a slow Dataverse is not joined by more.
    private var looking = false
    /// When the last outbound read was asked for by a timer or a signal: a look soon after it has nothing to add.
    private var lastOutboundRead: DispatchTime?
    private var reloading = false
    private var stopping = false
    private var finished = false
    private var stopped: CheckedContinuation<Void, Never>?

    /// Creates the loop over a running configuration; `random` draws the timers' jitter.
    public init(
        configuration: SopdConfiguration, runtime: Runtime, logger: Logger, notifier: SystemdNotifier?,
        reload: @escaping Reload, makeRuntime: @escaping MakeRuntime, random: any RandomSource = SystemRandom()
    ) {
        self.random = random
        self.configuration = configuration
        self.runtime = runtime
        self.published = Mutex(runtime)
        self.logger = logger
        self.notifier = notifier
        self.reloadConfiguration = reload
        self.makeRuntime = makeRuntime
    }

    /// Starts the timers and signal handlers, tells systemd it is ready (with where the monitoring
    /// endpoint listens, when it does), and returns once stopped.
    public func run(monitoringAddress: ListenAddress? = nil) async {
        control.sync {
            armTimers(startNow: true)
            for signalNumber in [SIGTERM, SIGINT, SIGUSR1, SIGHUP] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: control)
                source.setEventHandler { [self] in
                    switch signalNumber {
                    case SIGUSR1: trigger(.full, reason: "SIGUSR1")
                    case SIGHUP: reload()
                    default: stop(signal: signalNumber)
                    }
                }
                source.resume()
                signals.append(source)
            }
        }
        let endpoint = monitoringAddress.map { "; metrics on http://\($0)/metrics" } ?? ""
        notifier?.notify(["READY=1", "STATUS=running; first cycle under way\(endpoint)"])
        logger.info(
            "sopd running",
            metadata: [
                "version": "\(BuildInfo.version)",
                "interval_s": .stringConvertible(configuration.intervalSeconds),
                "probe_s": .stringConvertible(configuration.probeSeconds),
                "inbound_interval_s": .stringConvertible(configuration.inboundIntervalSeconds),
                "retry_sweep_s": .stringConvertible(configuration.retrySweepSeconds),
            ])
        await withCheckedContinuation { continuation in
            control.sync {
                if finished { continuation.resume() } else { stopped = continuation }
            }
        }
    }

    /// One re-armed timer per cycle kind (the polls start at once, the sweep after its interval), the
    /// look's when sopd looks, and the watchdog's when systemd watches.
    private func armTimers(startNow: Bool) {
        if let interval = notifier?.watchdogInterval {
            let watchdog = DispatchSource.makeTimerSource(queue: control)
            watchdog.schedule(deadline: .now(), repeating: interval)
            watchdog.setEventHandler { [self] in notifier?.notify(["WATCHDOG=1"]) }
            watchdog.resume()
            timers.append(watchdog)
        }
        let schedule: [(SyncEngine.CycleKind, Double, Bool)] = [
            (.outbound, configuration.intervalSeconds, startNow), (.inbound, configuration.inboundIntervalSeconds, startNow),
            (.retries, configuration.retrySweepSeconds, false),
        ]
        for (kind, interval, immediately) in schedule {
            let timer = DispatchSource.makeTimerSource(queue: control)
            timer.schedule(deadline: .now() + (immediately ? 0 : jittered(interval)))
            timer.setEventHandler { [self] in
                trigger(kind, reason: "timer")
                timer.schedule(deadline: .now() + jittered(interval))
            }
            timer.resume()
            timers.append(timer)
        }
        let probe = configuration.probeSeconds
        guard probe > 0 else { return }
        let timer = DispatchSource.makeTimerSource(queue: control)
        timer.schedule(deadline: .now() + jittered(probe))
        timer.setEventHandler { [self] in
            look()
            timer.schedule(deadline: .now() + jittered(probe))
        }
        timer.resume()
        timers.append(timer)
    }

    /// Asks the engine whether the submitted, unsent orders changed, and queues an outbound cycle when they
    /// did; skipped while a look is under way or a cycle waits to start, or when a timer or a signal asked for a read less than a look's
    /// interval ago (so that the idle daemon makes one Dataverse request per interval, not more).
    private func look() {
        guard !stopping, !reloading, !looking, !queued.contains(.outbound), !queued.contains(.full) else { return }
        let interval = UInt64(configuration.probeSeconds * 1e9)
        if let last = lastOutboundRead, DispatchTime.now().uptimeNanoseconds - last.uptimeNanoseconds < interval { return }
        looking = true
        runtime.engine.probeOutbound { [self] changed in
            control.async {
                self.looking = false
                if changed { self.trigger(.outbound, reason: "change") }
            }
        }
    }

    /// How long a cycle of the daemon takes new work before it gives the other direction its turn.
    static let sliceSeconds: Double = 2

    /// `interval` ±10%, so that several sopd started together do not poll in step.
    private func jittered(_ interval: Double) -> Double {
        interval * (0.9 + 0.2 * random.unit())
    }

    /// Queues a cycle unless one of its kind waits to start already: a burst of triggers makes one cycle.
    private func trigger(_ kind: SyncEngine.CycleKind, reason: String) {
        guard !stopping, !reloading, !queued.contains(kind) else { return }
        queued.insert(kind)
        if kind == .outbound || kind == .full, reason != "change" { lastOutboundRead = .now() }
        let engine = runtime.engine
        engine.afterCurrentCycle { [self] in control.async { self.queued.remove(kind) } }
        // A cycle an operator asked for (SIGUSR1) runs whole, as --sync-now does; the others take turns.
        engine.startCycle(kind, slice: reason == "SIGUSR1" ? nil : Self.sliceSeconds) { [self] report in
            // What the slice left goes next, after what waits already (the other direction's turn).
            if report.cutShort { control.async { self.trigger(kind, reason: "more") } }
            // A burst is over: what its pages and answers took goes back to the kernel, so the idle daemon stays small.
            if !report.cutShort, report.isNoteworthy { MallocTuning.releaseFreeMemory() }
            guard kind != .retries || !report.delivered.isEmpty || !report.failed.isEmpty else { return }
            // A cycle an operator asked for (SIGUSR1) always answers; a timer's or a look's only when it did something.
            logger.log(
                level: report.isNoteworthy || reason == "SIGUSR1" ? .notice : .debug, "\(report.summary)",
                metadata: ["trigger": "\(reason)", "cycle": "\(kind.rawValue)"])
            notifier?.notify(["STATUS=\(kind.rawValue) cycle at \(Date().formatted(.iso8601)): \(report.summary)"])
        }
    }

    /// SIGHUP: reads the configuration again; a valid one replaces the running one after the cycle
    /// under way, a bad one is refused with an error line and the running one kept.
    private func reload() {
        guard !stopping, !reloading else { return }
        reloading = true
        notifier?.notify(["RELOADING=1", "MONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds)"])
        let load = reloadConfiguration
        let make = makeRuntime
        let journal = configuration.journal
        Task {
            do {
                let configuration = try await load()
                // A new place would open a new, empty journal: the record of what was sent would be left behind.
                guard configuration.journal.url == journal.url else {
                    throw ConfigurationError(
                        key: "journal.url", problem: "changes from \(journal.url.description) to \(configuration.journal.url.description), which a reload cannot do",
                        fix: "Put journal.url back, or move the journal while sopd is stopped (sopd journal migrate) and then restart it (systemctl restart sopd).")
                }
                guard configuration.journal == journal else {
                    throw ConfigurationError(
                        key: "journal.*", problem: "journal.password, leaseSeconds, timeoutSeconds or hostName changes, which a reload cannot do",
                        fix: "Restart sopd (systemctl restart sopd) to use them.")
                }
                let runtime = try make(configuration)
                control.async { self.swap(to: configuration, runtime: runtime) }
            } catch {
                control.async {
                    self.logger.error(
                        "configuration reload refused; the running configuration stays", metadata: ["error": "\(error)"])
                    self.reloading = false
                    self.notifier?.notify(["READY=1", "STATUS=reload refused: \(error)"])
                }
            }
        }
    }

    /// Nil while the process is alive: its control loop answers within `seconds` and it is not
    /// stopping; otherwise why not. For `/healthz`.
    public func liveness(within seconds: Double = 2) async -> String? {
        if stopRequested.withLock({ $0 }) { return "stopping" }
        let answered = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let once = ResumeOnce(continuation)
            control.async { once.resume(true) }
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { once.resume(false) }
        }
        return answered ? nil : "the control loop has not answered for \(Int(seconds)) s"
    }

    /// The readiness checks of the running configuration. For `/readyz`.
    public func readiness() -> ReadinessReport {
        let runtime = published.withLock { $0 }
        return ReadinessReport(journalProblem: runtime.journal.writeProblem(), health: runtime.engine.health)
    }

    /// The running runtime's journal, for the metrics.
    public var journal: Journal { published.withLock { $0.journal } }

    /// The running runtime's webhook intake, for the webhook endpoint.
    public var webhook: WebhookIntake? { published.withLock { $0.webhook } }

    /// Starts an inbound cycle soon (a webhook notification was journaled), unless one waits to start already.
    public func inboundNow() {
        control.async { self.trigger(.inbound, reason: "webhook") }
    }

    private func swap(to configuration: SopdConfiguration, runtime: Runtime) {
        self.runtime.engine.afterCurrentCycle { [self] in
            control.async { [self] in
                timers.forEach { $0.cancel() }
                timers.removeAll()
                if configuration.metricsListen != self.configuration.metricsListen {
                    logger.warning("metrics.listen changes at the next restart; the endpoint stays where it is until then")
                }
                if configuration.backOffice.webhook?.listen != self.configuration.backOffice.webhook?.listen
                    || (configuration.backOffice.webhook?.tls == nil) != (self.configuration.backOffice.webhook?.tls == nil)
                {
                    logger.warning(
                        "backoffice.webhook's address and TLS change at the next restart; the receiver stays as it is until then (its secret and mapping change now)")
                }
                if configuration.dataverse.url == self.configuration.dataverse.url {
                    runtime.engine.adoptAccessCheck(of: self.runtime.engine)
                }
                self.configuration = configuration
                self.runtime = runtime
                Runtime.logThreshold.level = Logger.Level(rawValue: configuration.logLevel) ?? .info
                armTimers(startNow: false)
                reloading = false
                logger.notice("configuration reloaded")
                notifier?.notify(["READY=1", "STATUS=configuration reloaded"])
            }
        }
    }

    /// SIGTERM/SIGINT: stop after the cycle under way, or after the stop timeout.
    private func stop(signal: Int32) {
        guard !stopping else { return }
        stopping = true
        stopRequested.withLock { $0 = true }
        notifier?.notify(["STOPPING=1", "STATUS=stopping"])
        logger.notice(
            "stopping after the cycle under way",
            metadata: ["signal": .stringConvertible(signal), "timeout_s": .stringConvertible(configuration.stopTimeoutSeconds)])
        timers.forEach { $0.cancel() }
        signals.forEach { $0.cancel() }
        // The cycle under way sends what the budget allows now and fails the rest as retryable, rather than wait.
        runtime.dataverse.stopWaiting()
        control.asyncAfter(deadline: .now() + configuration.stopTimeoutSeconds) { [self] in
            guard !finished else { return }
            logger.warning(
                "the cycle under way did not end in time; its transfers stay 'sending' and are re-sent at the next start")
            finish()
        }
        // The feed's lease is given back once no cycle uses it, so that another host reads the feed at once.
        let engine = runtime.engine
        engine.afterCurrentCycle { [self] in
            engine.releaseLeases()
            control.async { [self] in finish() }
        }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        stopped?.resume()
        stopped = nil
    }
}

/// Resumes a continuation with the first value it is given and ignores the rest.
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Bool, Never>?

    init(_ continuation: CheckedContinuation<Bool, Never>) {
        self.continuation = continuation
    }

    func resume(_ value: Bool) {
        lock.withLock {
            continuation?.resume(returning: value)
            continuation = nil
        }
    }
}
