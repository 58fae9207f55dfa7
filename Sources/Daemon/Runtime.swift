import BackOffice
import Dataverse
import HTTP
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
    /// - Parameter progress: Hears how many orders a cycle handled so far, and of how many once known.
    /// - Throws: `JournalError` when the journal cannot be opened.
    public init(
        configuration: SopdConfiguration, logger: Logger, progress: (@Sendable (_ done: Int, _ total: Int?) -> Void)? = nil
    )
        throws(JournalError)
    {
        dataverse = configuration.dataverse.makeClient()
        let backOffice = BackOfficeClient(
            baseURL: configuration.backOffice.url, credentials: configuration.backOffice.credentials,
            http: HTTPClient(configuration: configuration.backOffice.http))
        journal = try Journal(path: configuration.journalPath)
        engine = SyncEngine(
            dataverse: dataverse, backOffice: backOffice, journal: journal, settings: configuration.sync, logger: logger,
            progress: progress)
    }

    /// Sends sopd's log lines to stderr as logfmt at `level`.
    public static func bootstrapLogging(level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in LogfmtLogHandler(label: label, level: parsed) }
    }
}
