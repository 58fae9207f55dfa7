import Foundation

/// How sopd writes its log lines.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-27T15:00:00.000Z info order delivered … [order=SO-01001 dir=out]`, for people at a terminal.
    case text
    /// `ts=2026-11-27T15:00:00.000Z level=info msg="order delivered …" order=SO-01001 dir=out`, for the
    /// journal and log shippers.
    case logfmt
    /// One JSON object per line: `ts`, `level`, `msg`, then the fields, numbers and booleans typed.
    case json

    /// The format when none is asked for: text at a terminal, logfmt elsewhere (the journal included).
    public static func automatic(stderrIsTerminal: Bool) -> LogFormat {
        stderrIsTerminal ? .text : .logfmt
    }

    /// Whether stderr is the systemd journal: `$JOURNAL_STREAM` (`<device>:<inode>`) names stderr's file.
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let stream = environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
