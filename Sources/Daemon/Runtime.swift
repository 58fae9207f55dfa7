import BackOffice
import Clocks
import Dataverse
import HTTP
import Foundation
import Journal
import Logging
import Sync

/// sopd's parts wired from a configuration: the two HTTP clients, the peers' clients, the journal and the engine.
public struct Runtime: Sendable {
    /// The Dataverse client.
    public let dataverse: DataverseClient
    /// The journal.
    public let journal: Journal
    /// The engine that runs cycles.
    public let engine: SyncEngine

    /// Builds the parts; opens (and creates) the journal.
    /// - Parameters:
    ///   - clock: The time of the data path: the journal's transitions, retries, the request budget.
    ///   - random: The jitter of retries.
    ///   - progress: Hears how many orders a cycle handled so far, and of how many once known.
    /// - Throws: `JournalError` when the journal cannot be opened.
    public init(
        configuration: SopdConfiguration, logger: Logger, clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandom(), progress: (@Sendable (_ done: Int, _ total: Int?) -> Void)? = nil
    )
        throws(JournalError)
    {
        dataverse = configuration.dataverse.makeClient(clock: clock)
        let backOffice = BackOfficeClient(
            baseURL: configuration.backOffice.url, credentials: configuration.backOffice.credentials,
            http: HTTPClient(configuration: configuration.backOffice.http))
        journal = try Journal(path: configuration.journalPath, clock: clock)
        engine = SyncEngine(
            dataverse: dataverse, backOffice: backOffice, journal: journal, settings: configuration.sync, logger: logger,
            random: random, progress: progress)
    }

    /// The threshold every logger of this process shares; a configuration reload moves it.
    public static let logThreshold = LogLineHandler.Threshold(.info)

    /// Sends sopd's log lines to stderr at `level`, in `format` (or the automatic one), with the
    /// priority prefix when stderr is the systemd journal.
    public static func bootstrapLogging(level: String, format: LogFormat? = nil) {
        logThreshold.level = Logger.Level(rawValue: level) ?? .info
        let journal = LogFormat.stderrIsJournal()
        let chosen = format ?? LogFormat.automatic(stderrIsTerminal: isatty(STDERR_FILENO) == 1)
        LoggingSystem.bootstrap { _ in LogLineHandler(threshold: logThreshold, format: chosen, priorityPrefix: journal) }
    }
}
