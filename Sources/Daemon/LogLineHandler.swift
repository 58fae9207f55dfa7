import Foundation
import Logging
import PeerText

/// sopd's log lines on stderr, one per event, in the chosen `LogFormat`. When stderr is the systemd
/// journal, each line starts with its syslog priority (`<4>` for a warning), so that
/// `journalctl -u sopd -p warning` filters them. The fields ops filter on most come first, the rest in name order.
public struct LogLineHandler: LogHandler {
    /// Fields written first, in this order, when present.
    static let leadingFields = ["order", "dir", "attempt", "status", "ms"]

    /// The least severe level written, shared by every logger so that a reload changes them all.
    public final class Threshold: @unchecked Sendable {
        private let lock = NSLock()
        private var current: Logger.Level

        /// Creates a threshold at `level`.
        public init(_ level: Logger.Level) { current = level }

        /// The level.
        public var level: Logger.Level {
            get { lock.withLock { current } }
            set { lock.withLock { current = newValue } }
        }
    }

    public var metadata: Logger.Metadata = [:]
    private let threshold: Threshold
    private let format: LogFormat
    private let priorityPrefix: Bool

    /// Creates a handler.
    /// - Parameters:
    ///   - threshold: The least severe level written.
    ///   - format: How lines are written.
    ///   - priorityPrefix: Whether lines start with `<N>`, for the systemd journal.
    public init(threshold: Threshold, format: LogFormat, priorityPrefix: Bool) {
        self.threshold = threshold
        self.format = format
        self.priorityPrefix = priorityPrefix
    }

    public var logLevel: Logger.Level {
        get { threshold.level }
        set { threshold.level = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line = Self.line(format: format, level: event.level, message: "\(event.message)", fields: fields, at: Date())
        if priorityPrefix { line = "<\(Self.priority(event.level))>" + line }
        StandardErrorLines.shared.line(line)
    }

    /// The syslog priority of a level.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The line for one event, without the priority prefix. logfmt and JSON lines start with the
    /// event's time (`ts`, RFC 3339 in UTC with milliseconds), so that files and log shippers keep it;
    /// in JSON, numbers and booleans the caller passed as such (`.stringConvertible`) stay typed.
    /// Every secret sopd holds is masked here once more (`SecretRegistry`), whatever the caller passed.
    static func line(format: LogFormat, level: Logger.Level, message: String, fields: Logger.Metadata, at date: Date)
        -> String
    {
        let secrets = SecretRegistry.shared
        let message = secrets.masked(message)
        let fields = fields.mapValues { Field($0, secrets: secrets) }
        let names = leadingFields.filter { fields[$0] != nil } + fields.keys.filter { !leadingFields.contains($0) }.sorted()
        let time = timestamp.format(date)
        switch format {
        case .logfmt:
            var parts = ["ts=\(time)", "level=\(level)", "msg=\(quoted(message))"]
            for name in names { parts.append("\(name)=\(quoted(fields[name]!.text))") }
            return parts.joined(separator: " ")
        case .text:
            let details = names.map { "\($0)=\(quoted(fields[$0]!.text))" }.joined(separator: " ")
            return "\(time) \(level) \(PeerText.escaped(message))" + (details.isEmpty ? "" : " [\(details)]")
        case .json:
            var object = "{\"ts\":\"\(time)\",\"level\":\(PeerText.jsonQuoted("\(level)")),\"msg\":\(PeerText.jsonQuoted(message))"
            for name in names { object += ",\(PeerText.jsonQuoted(name)):\(fields[name]!.json)" }
            return object + "}"
        }
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-28T12:45:40.123Z`.
    private static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// One field's value, masked, as text and as a JSON value.
    private struct Field {
        let text: String
        let json: String

        init(_ value: Logger.MetadataValue, secrets: SecretRegistry) {
            let raw = "\(value)"
            text = secrets.masked(raw)
            if case .stringConvertible(let typed) = value, text == raw, let literal = Self.literal(typed) {
                json = literal
            } else {
                json = PeerText.jsonQuoted(text)
            }
        }

        /// A number or boolean as JSON writes it, or nil for anything else (and for NaN and infinities).
        private static func literal(_ value: any CustomStringConvertible & Sendable) -> String? {
            switch value {
            case let flag as Bool: return flag ? "true" : "false"
            case is any BinaryInteger: return "\(value)"
            case let number as Double: return number.isFinite ? "\(number)" : nil
            case let number as Float: return number.isFinite ? "\(number)" : nil
            default: return nil
            }
        }
    }

    /// `value` as logfmt writes it: bare when it can be, else a double-quoted string with the escapes of
    /// JSON (which are Go's too), so that control characters never break the line.
    private static func quoted(_ value: String) -> String {
        let bare = !value.isEmpty && !value.unicodeScalars.contains {
            $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F
        }
        return bare ? value : PeerText.jsonQuoted(value)
    }
}
