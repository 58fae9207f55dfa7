import ChildProcess
import Foundation
import HTTP
import JSON
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

        daemon.send(SIGUSR1)
        try await Task.sleep(for: .milliseconds(500))
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
}
