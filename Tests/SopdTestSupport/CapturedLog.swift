import Foundation
import Logging

/// A logger whose lines a test reads back: what an operator would see at `level` and above.
public final class CapturedLog: @unchecked Sendable {
    /// One line.
    public struct Line: Sendable {
        /// Its level.
        public var level: Logger.Level
        /// Its message.
        public var message: String
        /// Its fields, as text.
        public var metadata: [String: String]
    }

    private let lock = NSLock()
    private var captured: [Line] = []
    private let level: Logger.Level

    /// A log that keeps lines at `level` and above.
    public init(level: Logger.Level = .info) {
        self.level = level
    }

    /// The logger to hand to sopd.
    public var logger: Logger {
        Logger(label: "sopd", factory: { _ in Handler(log: self, logLevel: self.level) })
    }

    /// The lines so far.
    public var lines: [Line] { lock.withLock { captured } }

    /// Forgets the lines so far.
    public func clear() { lock.withLock { captured.removeAll() } }

    fileprivate func append(_ line: Line) { lock.withLock { captured.append(line) } }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let fields = metadata.merging(event.metadata ?? [:]) { _, new in new }.mapValues { "\($0)" }
            log.append(Line(level: event.level, message: "\(event.message)", metadata: fields))
        }
    }
}
