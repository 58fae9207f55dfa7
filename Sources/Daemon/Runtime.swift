import BackOffice
import Clocks
import Dataverse
import HTTP
import Foundation
import Journal
import Logging
import Sync
import Transfers

/// sopd's parts wired from a configuration: the two HTTP clients, the peers' clients, the journal and the engine.
public struct Runtime: Sendable {
    /// The Dataverse client.
    public let dataverse: DataverseClient
    /// The journal.
    public let journal: Journal
    /// The engine that runs cycles.
    public let engine: SyncEngine
    /// Where requests and cycles are measured.
    public let metrics: SyncMetrics
    /// What takes the ERP's notifications, when the mapping has a webhook and `backoffice.webhook` is set.
    public let webhook: WebhookIntake?

    /// Builds the parts; opens (and creates) the journal.
    /// - Parameters:
    ///   - clock: The time of the data path: the journal's transitions, retries, the request budget.
    ///   - random: The jitter of retries.
    ///   - metrics: Where requests and cycles are measured; the daemon's exposition, or nothing.
    ///   - progress: Hears how many orders a cycle handled so far, and of how many once known.
    /// - Throws: `JournalError` when the journal cannot be opened.
    public init(
        configuration: SopdConfiguration, logger: Logger, clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandom(), metrics: SyncMetrics = SyncMetrics(),
        progress: (@Sendable (_ done: Int, _ total: Int?) -> Void)? = nil
    )
        throws(JournalError)
    {
        dataverse = configuration.dataverse.makeClient(clock: clock, observer: Self.observer(of: .dataverse, into: metrics))
        let backOffice = configuration.backOffice.makeAdapter(clock: clock, observer: Self.observer(of: .backOffice, into: metrics))
        let journal = try configuration.journal.open(clock: clock)
        self.journal = journal
        self.metrics = metrics
        if let settings = configuration.backOffice.webhook, let mapped = backOffice as? HTTPMappingAdapter {
            webhook = WebhookIntake(adapter: mapped, journal: journal, secret: settings.secret, logger: logger)
        } else {
            webhook = nil
        }
        engine = SyncEngine(
            dataverse: dataverse, backOffice: backOffice, journal: journal, settings: configuration.sync, logger: logger,
            random: random, metrics: metrics, progress: progress)
    }

    /// Measures every request to `peer` into `metrics`.
    private static func observer(of peer: Peer, into metrics: SyncMetrics) -> HTTPClient.Observer {
        { exchange in
            metrics.requestEnded(
                peer: peer, method: exchange.method.rawValue, seconds: exchange.seconds, status: exchange.status,
                retryAfter: exchange.retryAfter)
        }
    }

    /// The threshold every logger of this process shares; a configuration reload moves it.
    public static let logThreshold = LogLineHandler.Threshold(.info)

    /// Sends sopd's log lines to stderr at `level`, in `format` (or the automatic one), with the
    /// priority prefix when stderr is the systemd journal. `atLeastNotice` keeps the info lines (one
    /// per order) off, as a `--sync-now` that draws its progress at a terminal does without `--verbose`.
    public static func bootstrapLogging(level: String, format: LogFormat? = nil, atLeastNotice: Bool = false) {
        let configured = Logger.Level(rawValue: level) ?? .info
        logThreshold.level = atLeastNotice ? max(configured, .notice) : configured
        let journal = LogFormat.stderrIsJournal()
        let chosen = format ?? LogFormat.automatic(stderrIsTerminal: isatty(STDERR_FILENO) == 1)
        LoggingSystem.bootstrap { _ in LogLineHandler(threshold: logThreshold, format: chosen, priorityPrefix: journal) }
    }
}
