import Foundation

/// The one-line progress of a long `--sync-now` on a terminal: `sopd: 120/500 orders (240/s)`,
/// redrawn at most ten times a second under the log lines (`StandardErrorLines`). Nothing is drawn
/// when stderr is not a terminal.
public final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let started = Date()
    private var lastDrawn = Date.distantPast
    private let output: StandardErrorLines

    init(output: StandardErrorLines = .shared) {
        self.output = output
    }

    /// A progress line when stderr is a terminal, else nil.
    public static func forTerminal() -> ProgressLine? {
        isatty(STDERR_FILENO) == 1 ? ProgressLine() : nil
    }

    /// The text for `done` of `total` orders after `seconds`.
    static func text(done: Int, total: Int?, seconds: Double) -> String {
        let rate = seconds > 0 ? Int(Double(done) / seconds) : 0
        return "sopd: \(done)\(total.map { "/\($0)" } ?? "") orders (\(rate)/s)"
    }

    /// Redraws the line, unless it was drawn less than 0.1 s ago.
    public func update(done: Int, total: Int?) {
        lock.withLock {
            let now = Date()
            guard now.timeIntervalSince(lastDrawn) >= 0.1 else { return }
            lastDrawn = now
            output.setStatus(Self.text(done: done, total: total, seconds: now.timeIntervalSince(started)))
        }
    }

    /// Ends the line, so that what follows starts on a line of its own.
    public func finish() {
        output.clearStatus()
    }
}
