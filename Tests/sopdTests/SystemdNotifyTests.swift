import ChildProcess
import Foundation
import HTTP
import JSON
import Journal
import SopdTestSupport
import Testing

/// The built `sopd` as systemd runs it: `NOTIFY_SOCKET` and `WATCHDOG_USEC` set, driven by real signals.
@Suite struct SystemdNotifyTests {
    private func count(_ messages: [String], _ field: String) -> Int {
        messages.filter { $0.split(separator: "\n").contains { $0.hasPrefix(field) } }.count
    }

    @Test func readyTwoCyclesReloadGoodAndBadCycleNowAndStop() async throws {
        let emulator = try await EmulatorProcess.start()
        let directory = try TemporaryDirectory()
        let journalPath = directory.file("journal.sqlite")
        let settings = "sync:\n  intervalSeconds: 3600\n  retrySweepSeconds: 3600\njournal:\n  path: \(journalPath)\n"
        let config = try emulator.writeConfig(in: directory, extra: settings)
        let notify = try NotifySocket(in: directory)
        let daemon = try BuiltProcess(
            "sopd", ["--config", config, "--log-format", "logfmt"],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        let admin = "\(emulator.backOfficeURL)/_admin"
        let auth: HTTPHeaders = ["Authorization": "Bearer backoffice-token"]

        #expect(await notify.wait { $0.contains { $0.contains("READY=1") } })
        var received: [JSONValue] = []
        for _ in 0..<200 where received.count < 8 {
            try await Task.sleep(for: .milliseconds(50))
            received = try JSONParser.parse(try await HTTPClient().response(for: HTTPRequest(method: .get, url: "\(admin)/orders", headers: auth)).body)["orders"]?.arrayValue ?? []
        }
        #expect(received.count == 8, "the first cycle pushed the submitted orders")
        let accepted = try await HTTPClient().response(
            for: HTTPRequest(method: .post, url: "\(admin)/orders/BO-000001/events", headers: auth, body: Array(#"{"type":"accepted"}"#.utf8)))
        #expect(accepted.status == 201)
        daemon.send(SIGUSR1)
        #expect(await notify.wait { $0.contains { $0.contains("STATUS=full cycle") } })
        #expect(
            await notify.wait { $0.contains { $0.contains("1 changes applied") } },
            "the second cycle (the inbound poll or the SIGUSR1 one, whichever ran after the event) applied it")

        try String(contentsOfFile: config, encoding: .utf8).appending("log:\n  level: error\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        daemon.send(SIGHUP)
        #expect(await notify.wait { $0.contains { $0.contains("configuration reloaded") } })
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: emulator.dataverseURL, with: "not a url")
            .write(toFile: config, atomically: true, encoding: .utf8)
        daemon.send(SIGHUP)
        #expect(await notify.wait { $0.contains { $0.contains("reload refused") } })
        daemon.send(SIGUSR1)
        #expect(await notify.wait { self.count($0, "STATUS=full cycle") >= 2 }, "the running configuration still works")
        let otherJournal = directory.file("other.sqlite")
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "not a url", with: emulator.dataverseURL)
            .replacingOccurrences(of: journalPath, with: otherJournal).write(toFile: config, atomically: true, encoding: .utf8)
        daemon.send(SIGHUP)
        #expect(await notify.wait { self.count($0, "STATUS=reload refused") >= 2 }, "a new journal path is refused")
        #expect(!FileManager.default.fileExists(atPath: otherJournal), "no new, empty journal was opened")

        daemon.send(SIGTERM)
        let outcome = try await onDispatchQueue { try daemon.waitForExit(timeout: 30) }
        #expect(outcome.status == 0)
        let messages = notify.messages
        #expect(count(messages, "READY=1") == 4, "start, the good reload, and the end of the two refused ones")
        #expect(count(messages, "RELOADING=1") == 3)
        #expect(messages.filter { $0.contains("RELOADING=1") }.allSatisfy { $0.contains("MONOTONIC_USEC=") })
        #expect(count(messages, "WATCHDOG=1") >= 1)
        #expect(messages.last?.hasPrefix("STOPPING=1") == true || messages.contains { $0.hasPrefix("STOPPING=1") })
        #expect(outcome.standardError.contains("configuration reload refused; the running configuration stays"))
        #expect(outcome.standardError.contains("dataverse.url"))
        #expect(outcome.standardError.contains("journal.url: changes from sqlite://\(journalPath) to sqlite://\(otherJournal), which a reload cannot do"))
        let afterRefusal = try #require(outcome.standardError.components(separatedBy: "configuration reload refused").last)
        #expect(outcome.standardError.contains("level=notice msg=\"sync:"))
        #expect(!afterRefusal.contains("level=notice"), "the good reload's log level (error) took effect")

        let journal = try Journal(path: journalPath)
        let counts = try journal.countsByDirectionAndState()
        #expect(counts[.outbound]?[.done] == 8)
        #expect(counts[.inbound]?[.done] == 1)
        #expect(try journal.checkpoint(.inbound) != nil)
        try await emulator.stop()
    }
}
