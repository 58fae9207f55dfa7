import ChildProcess
import Foundation

/// Prometheus's own `promtool` (Debian's `prometheus` package, installed by `make deps`), the
/// independent judge of sopd's metrics and alert rules.
public enum Promtool {
    /// What promtool printed and how it exited.
    public struct Outcome: Sendable {
        /// The exit status: 0 when every check passed.
        public var status: Int32
        /// Standard output and standard error together.
        public var output: String
    }

    /// Where promtool is installed.
    public static let path = "/usr/bin/promtool"

    /// Runs `promtool arguments…` in `directory`, with `input` on its standard input.
    /// - Throws: when promtool is not installed, naming the package that brings it.
    public static func run(_ arguments: [String], input: String? = nil, in directory: URL? = nil) async throws -> Outcome {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw PromtoolMissing()
        }
        return try await onDispatchQueue {
            let outcome = try BuiltProcess.run(path, arguments, directory: directory?.path, input: input ?? "")
            return Outcome(status: outcome.status, output: outcome.standardOutput + outcome.standardError)
        }
    }

    /// `promtool check metrics` on an exposition: parse errors and lint problems (a family without
    /// help, a counter without `_total`, a unit out of place) make it fail.
    public static func checkMetrics(_ exposition: String) async throws -> Outcome {
        try await run(["check", "metrics"], input: exposition)
    }
}

/// promtool is not installed.
public struct PromtoolMissing: Error, CustomStringConvertible {
    public var description: String {
        "\(Promtool.path) is missing: install Debian's prometheus package (sudo make deps, or apt-get install prometheus)"
    }
}
