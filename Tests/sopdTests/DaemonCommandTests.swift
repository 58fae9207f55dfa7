import ChildProcess
import Foundation
import HTTP
import JSON
import Journal
import SopdTestSupport
import Testing

/// The built `sopd` run as a daemon, driven by real signals.
@Suite struct DaemonCommandTests {
    @Test func runsACycleAtStartAnotherOnSIGUSR1AndStopsCleanlyOnSIGTERM() async throws {
        let emulator = try await EmulatorProcess.start()
        let directory = try TemporaryDirectory()
        let config = try emulator.writeConfig(
            in: directory, extra: "sync:\n  intervalSeconds: 3600\njournal:\n  path: \(directory.file("journal.sqlite"))\n")

        let daemon = try BuiltProcess("sopd", ["--config", config])
        let admin = HTTPRequest(
            method: .get, url: "\(emulator.backOfficeURL)/_admin/orders", headers: ["Authorization": "Bearer backoffice-token"])
        var received: [JSONValue] = []
        for _ in 0..<200 where received.count < 8 {
            try await Task.sleep(for: .milliseconds(50))
            received = try JSONParser.parse(try await HTTPClient().response(for: admin).body)["orders"]?.arrayValue ?? []
        }
        #expect(received.count == 8)

        // SIGTERM goes only once the SIGUSR1 cycle has ended (both checkpoints moved), however slow the machine.
        let journal = try Journal(path: directory.file("journal.sqlite"))
        let before = try await poll { () throws -> (Date, Date)? in
            guard let out = try journal.checkpoint(.outbound), let into = try journal.checkpoint(.inbound) else { return nil }
            return (out, into)
        }
        daemon.send(SIGUSR1)
        let moved = try await poll { () throws -> Bool? in
            try journal.checkpoint(.outbound) != before?.0 && journal.checkpoint(.inbound) != before?.1 ? true : nil
        }
        #expect(moved == true, "the SIGUSR1 cycle ended")
        daemon.send(SIGTERM)
        let outcome = try await onDispatchQueue { try daemon.waitForExit(timeout: 10) }
        #expect(outcome.status == 0)
        #expect(outcome.standardError.contains("trigger=timer"))
        #expect(outcome.standardError.contains("trigger=SIGUSR1"))
        #expect(outcome.standardError.contains("stopping after the cycle under way"))
        let after = try JSONParser.parse(try await HTTPClient().response(for: admin).body)["orders"]?.arrayValue ?? []
        #expect(after.count == 8)
        #expect(after.allSatisfy { $0["deliveries"] == 1 })

        try await emulator.stop()
    }

    /// What `probe` finds, asked every 50 ms for up to a minute; nil if it never found anything.
    private func poll<T>(_ probe: () throws -> T?) async throws -> T? {
        for _ in 0..<1200 {
            if let found = try probe() { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}
