import Foundation
import HTTP
import JSON
import SopdTestSupport
import Testing

/// The built `sopd` run as a daemon, driven by real signals.
@Suite struct DaemonCommandTests {
    @Test func runsACycleAtStartAnotherOnSIGUSR1AndStopsCleanlyOnSIGTERM() async throws {
        let emulator = try BuiltProcess("sop-emulator", ["--crm-port", "0", "--backoffice-port", "0", "--seed-demo-data"])
        let urls = try await onDispatchQueue { emulator.readLines(2) }.map { String($0.split(separator: " ").last ?? "") }
        try #require(urls.count == 2)
        let directory = try TemporaryDirectory()
        let config = directory.file("sopd.yaml")
        try """
            dataverse:
              url: \(urls[0])
              token: sopd-app-token
            backoffice:
              url: \(urls[1])
              token: backoffice-token
            sync:
              intervalSeconds: 3600
            journal:
              path: \(directory.file("journal.sqlite"))
            """.write(toFile: config, atomically: true, encoding: .utf8)

        let daemon = try BuiltProcess("sopd", ["--config", config])
        let admin = HTTPRequest(
            method: .get, url: "\(urls[1])/_admin/orders", headers: ["Authorization": "Bearer backoffice-token"])
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

        emulator.send(SIGTERM)
        _ = try await onDispatchQueue { try emulator.waitForExit(timeout: 10) }
    }
}
