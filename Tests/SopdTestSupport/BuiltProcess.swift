import Foundation

/// A built executable of this package (`sopd`, `sop-emulator`) run as a separate process, as ops would run it.
public final class BuiltProcess: @unchecked Sendable {
    /// What a finished process left behind.
    public struct Outcome: Sendable {
        /// The exit status.
        public var status: Int32
        /// Everything written to stdout.
        public var standardOutput: String
        /// Everything written to stderr.
        public var standardError: String
    }

    private let process = Process()
    private let output = Pipe()
    private let errors = Pipe()

    /// The folder that holds the built products: the one the test bundle itself was built into.
    public static var binaryDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// Starts `product` with `arguments`; `environment` adds to a minimal environment.
    public init(_ product: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let executable = Self.binaryDirectory.appendingPathComponent(product)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw BuiltProcessError(message: "\(executable.path) is missing: run `swift build` (make test does) before the tests")
        }
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { _, new in new }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Runs `product` to its end. Blocking: call through `onDispatchQueue`.
    public static func run(_ product: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        try BuiltProcess(product, arguments, environment: environment).waitForExit()
    }

    /// Reads stdout up to `count` lines, for processes that announce themselves. Blocking.
    public func readLines(_ count: Int) -> [String] {
        var buffer = Data()
        while String(decoding: buffer, as: UTF8.self).filter({ $0 == "\n" }).count < count {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Whether the process still runs.
    public var isRunning: Bool { process.isRunning }

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end, killing it after `timeout` seconds. Blocking.
    public func waitForExit(timeout: Double = 60) throws -> Outcome {
        let deadline = Date().addingTimeInterval(timeout)
        nonisolated(unsafe) var standardOutput = Data()
        nonisolated(unsafe) var standardError = Data()
        let readers = DispatchGroup()
        DispatchQueue(label: "test.stdout").async(group: readers) {
            standardOutput = self.output.fileHandleForReading.readDataToEndOfFile()
        }
        DispatchQueue(label: "test.stderr").async(group: readers) {
            standardError = self.errors.fileHandleForReading.readDataToEndOfFile()
        }
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            send(SIGKILL)
            process.waitUntilExit()
            throw BuiltProcessError(message: "\(process.executableURL?.lastPathComponent ?? "process") did not exit within \(timeout)s")
        }
        process.waitUntilExit()
        readers.wait()
        return Outcome(
            status: process.terminationStatus, standardOutput: String(decoding: standardOutput, as: UTF8.self),
            standardError: String(decoding: standardError, as: UTF8.self))
    }
}

/// A built process could not be run.
public struct BuiltProcessError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    public var description: String { message }
}
