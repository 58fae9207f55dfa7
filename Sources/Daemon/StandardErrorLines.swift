import Foundation

/// Everything sopd writes to stderr goes through one lock: the log lines, and at a terminal the status
/// line under them (`ProgressLine`). The status line is cleared before each log line and drawn again
/// after it, so that a log line never joins it or is overwritten by it.
public final class StandardErrorLines: @unchecked Sendable {
    /// The process's stderr.
    public static let shared = StandardErrorLines { FileHandle.standardError.write(Data($0.utf8)) }

    /// Clears the terminal's current line: carriage return, then erase to its end.
    static let clearLine = "\r\u{1B}[K"

    private let lock = NSLock()
    private let write: @Sendable (String) -> Void
    private var status: String?

    /// Writes through `write`, which receives whole chunks, each written at once.
    init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Writes a line above the status line.
    public func line(_ text: String) {
        lock.withLock {
            guard let status else { return write(text + "\n") }
            write(Self.clearLine + text + "\n" + status)
        }
    }

    /// Draws `text` as the status line, in place of the last one.
    public func setStatus(_ text: String) {
        lock.withLock {
            status = text
            write(Self.clearLine + text)
        }
    }

    /// Removes the status line, so that what follows starts on a line of its own.
    public func clearStatus() {
        lock.withLock {
            if status != nil { write(Self.clearLine) }
            status = nil
        }
    }
}
