import Foundation
import Logging

/// Writes one logfmt line per event to stderr:
/// `level=info msg="order delivered to the back office" order=SO-01001 dir=out attempt=1 status=201 ms=12`.
/// The fields ops filter on most come first, the rest in name order.
public struct LogfmtLogHandler: LogHandler {
    /// Fields written first, in this order, when present.
    static let leadingFields = ["order", "dir", "attempt", "status", "ms"]

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String

    /// Creates a handler for `label` at `level`.
    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        FileHandle.standardError.write(Data((Self.line(level: event.level, message: "\(event.message)", fields: fields) + "\n").utf8))
    }

    /// The logfmt line for one event.
    static func line(level: Logger.Level, message: String, fields: Logger.Metadata) -> String {
        var parts = ["level=\(level)", "msg=\(quoted(message))"]
        let names = leadingFields.filter { fields[$0] != nil } + fields.keys.filter { !leadingFields.contains($0) }.sorted()
        for name in names { parts.append("\(name)=\(quoted("\(fields[name]!)"))") }
        return parts.joined(separator: " ")
    }

    private static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0.isNewline }
        guard needsQuotes else { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}
