import ChildProcess
import Foundation

/// `sop-emulator` as a separate process: its two base URLs, and at the end what it served, as it
/// counts it (so that the figures do not rest on sopd's own count).
final class EmulatorProcess {
    /// What the emulator served, from its last line.
    struct Served {
        var dataverseRequests: Int
        var throttled: Int
        var backOfficeRequests: Int
    }

    let dataverseURL: String
    let backOfficeURL: String
    private let process: BuiltProcess

    /// Starts `sop-emulator` with sales order processing integration on and `arguments` added.
    init(_ arguments: [String]) throws {
        process = try BuiltProcess(
            "sop-emulator", ["--crm-port", "0", "--backoffice-port", "0", "--sop-integration-enabled"] + arguments)
        // It announces four URLs (dataverse:, backoffice:, fabrikam:, businesscentral:); the benchmarks use the first two.
        let urls = process.readLines(4).prefix(2).map { String($0.split(separator: " ").last ?? "") }
        guard urls.count == 2 else {
            process.send(SIGKILL)
            _ = try? process.waitForExit()
            throw BenchError("sop-emulator did not announce its URLs")
        }
        (dataverseURL, backOfficeURL) = (urls[0], urls[1])
    }

    /// Runs `body` against a new emulator started with `arguments`, and stops it whatever `body` does.
    /// - Returns: What `body` returned, and what the emulator served.
    static func with<T>(_ arguments: [String], _ body: (EmulatorProcess) throws -> T) throws -> (result: T, served: Served) {
        let emulator = try EmulatorProcess(arguments)
        let result: T
        do {
            result = try body(emulator)
        } catch {
            _ = try? emulator.stop()
            throw error
        }
        return (result, try emulator.stop())
    }

    /// Stops the emulator and reads its count of what it served.
    func stop() throws -> Served {
        process.send(SIGTERM)
        let outcome = try process.waitForExit()
        let words = outcome.standardOutput.split(separator: "\n").last { $0.hasPrefix("served:") }?.split(separator: " ") ?? []
        func number(before word: String) -> Int? {
            words.firstIndex { $0.hasPrefix(word) }.flatMap { $0 > 0 ? Int(words[$0 - 1]) : nil }
        }
        guard let requests = number(before: "requests,"), let throttled = number(before: "answered"),
            let backOffice = words.last == "requests" ? Int(words[words.count - 2]) : nil
        else { throw BenchError("sop-emulator did not say what it served: \(outcome.standardOutput.suffix(300))") }
        return Served(dataverseRequests: requests, throttled: throttled, backOfficeRequests: backOffice)
    }

    /// A sopd configuration on the shipped defaults against this emulator, written into `folder`; `sync` adds
    /// keys of the `sync` section (`maxInFlight: 4`), `dataverse` lines of the `dataverse` section (`limits:`, indented).
    func sopdConfiguration(folder: String, metricsPort: UInt16 = 0, sync: [String] = [], dataverse: [String] = []) throws -> String {
        let path = "\(folder)/sopd.yaml"
        try """
        metrics:
          listen: 127.0.0.1:\(metricsPort)
        dataverse:
          url: \(dataverseURL)
          token: sopd-app-token
        \(dataverse.map { "  \($0)\n" }.joined())backoffice:
          url: \(backOfficeURL)
          token: backoffice-token
        journal:
          path: \(folder)/journal.sqlite
        log:
          level: error
        """.appending(sync.isEmpty ? "" : "\nsync:\n" + sync.map { "  \($0)\n" }.joined())
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
