import Foundation
import HTTP
import Journal
import Logging
import PeerText
import Sync

/// The process's metrics: recorded through `SyncMetrics` into one `PrometheusExposition`, kept across
/// configuration reloads, and written out for a scrape or for node_exporter's textfile collector.
public final class Monitoring: Sendable {
    /// The recorders the runtimes share.
    public let metrics: SyncMetrics
    private let exposition = PrometheusExposition()
    private let logger: Logger

    /// Creates the metrics of a process running `version`.
    public init(version: String = BuildInfo.version, logger: Logger) {
        metrics = SyncMetrics(factory: exposition)
        metrics.recordBuild(version: version)
        self.logger = logger
    }

    /// The metrics in the text format, with what `journal` knows read afresh. A journal that cannot be
    /// read leaves its metrics at their last values and says so in a log line.
    public func text(journal: Journal) -> String {
        do {
            try metrics.refresh(from: journal)
        } catch {
            logger.warning("cannot read the journal for the metrics; they keep their last values", metadata: ["error": "\(error)"])
        }
        return exposition.text()
    }

    /// Writes the metrics to `path` for node_exporter's textfile collector: to a temporary file in the
    /// same folder, then renamed over `path`, so that the collector never reads half a file.
    /// - Throws: `MonitoringError` naming the file and the cause.
    public func writeTextfile(to path: String, journal: Journal) throws(MonitoringError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(text(journal: journal).utf8).write(to: temporary)
        } catch {
            unlink(temporary.path)
            throw MonitoringError(
                "cannot write \(temporary.path): \(SystemErrorText.reason(error)); check that the folder exists and sopd may write in it")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = SystemErrorText.reason(errno: errno)
            unlink(temporary.path)
            throw MonitoringError("cannot rename \(temporary.path) to \(path): \(reason)")
        }
    }
}

/// The metrics could not be written out.
public struct MonitoringError: Error, CustomStringConvertible {
    /// What failed and what to do.
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
