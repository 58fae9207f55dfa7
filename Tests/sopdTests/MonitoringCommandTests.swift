import ChildProcess
import Foundation
import HTTP
import SopdTestSupport
import Testing

/// The built `sopd` monitored as ops would: the daemon's endpoint scraped over HTTP, a busy address
/// refused at start, and `--sync-now --metrics-textfile` for node_exporter's textfile collector.
@Suite struct MonitoringCommandTests {
    @Test func theDaemonServesMetricsHealthAndReadinessWhereSystemdIsTold() async throws {
        let emulator = try await EmulatorProcess.start()
        let directory = try TemporaryDirectory()
        let config = try emulator.writeConfig(
            in: directory, extra: "sync:\n  intervalSeconds: 3600\njournal:\n  path: \(directory.file("journal.sqlite"))\n")
        let notify = try NotifySocket(in: directory)
        let daemon = try BuiltProcess("sopd", ["--config", config], environment: ["NOTIFY_SOCKET": notify.path])
        #expect(await notify.wait { $0.contains { $0.contains("READY=1") } })
        let status = try #require(notify.messages.first { $0.contains("READY=1") })
        let base = try #require(status.firstMatch(of: /http:\/\/127\.0\.0\.1:[0-9]+/)).output
        let http = HTTPClient()

        #expect(try await http.response(for: HTTPRequest(method: .get, url: "\(base)/healthz")).status == 200)
        var ready = 0
        for _ in 0..<600 where ready != 200 {
            ready = try await http.response(for: HTTPRequest(method: .get, url: "\(base)/readyz")).status
            if ready != 200 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(ready == 200, "ready once the first cycles met both peers")
        var delivered: Double?
        var text = ""
        for _ in 0..<600 where delivered != 8 {
            text = try await http.response(for: HTTPRequest(method: .get, url: "\(base)/metrics")).bodyText
            delivered = try PrometheusSamples(text).value("sopd_transfers_total", ["direction": "outbound", "outcome": "delivered"])
            if delivered != 8 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(delivered == 8)
        let check = try await Promtool.checkMetrics(text)
        #expect(check.status == 0, "\(check.output)")

        // A reload keeps what the last check of the acting user said: still ready, with no inbound cycle since.
        daemon.send(SIGHUP)
        #expect(await notify.wait { $0.contains { $0.contains("STATUS=configuration reloaded") } })
        let afterReload = try await http.response(for: HTTPRequest(method: .get, url: "\(base)/readyz"))
        #expect(afterReload.status == 200, "\(afterReload.bodyText)")

        daemon.send(SIGTERM)
        #expect(try await onDispatchQueue { try daemon.waitForExit(timeout: 10) }.status == 0)
        try await emulator.stop()
    }

    @Test func aBusyAddressStopsTheDaemonWithExit78NamingTheKey() async throws {
        let emulator = try await EmulatorProcess.start(demoData: false)
        let directory = try TemporaryDirectory()
        let busy = try ClosedPort()
        let config = try emulator.writeConfig(
            in: directory, metricsListen: "127.0.0.1:\(busy.port)", extra: "journal:\n  path: \(directory.file("journal.sqlite"))\n")
        let run = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--config", config]) }
        #expect(run.status == 78)
        #expect(run.standardError.contains("metrics.listen: cannot listen on 127.0.0.1:\(busy.port)"), "\(run.standardError)")
        #expect(run.standardError.contains("set metrics.listen to an empty string to turn the endpoint off"))
        try await emulator.stop()
    }

    @Test func syncNowWritesTheTextfileAtomicallyForNodeExporter() async throws {
        let emulator = try await EmulatorProcess.start()
        let directory = try TemporaryDirectory()
        let textfiles = try TemporaryDirectory()
        let config = try emulator.writeConfig(in: directory, extra: "journal:\n  path: \(directory.file("journal.sqlite"))\n")
        let path = textfiles.file("sopd.prom")
        let run = try await onDispatchQueue {
            try BuiltProcess.run("sopd", ["--sync-now", "--config", config, "--metrics-textfile", path])
        }
        #expect(run.status == 1, "one order refused: \(run.standardError.suffix(400))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: textfiles.path) == ["sopd.prom"], "no temporary file left")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let check = try await Promtool.checkMetrics(text)
        #expect(check.status == 0, "\(check.output)")
        let metrics = try PrometheusSamples(text)
        #expect(metrics.value("sopd_transfers_total", ["direction": "outbound", "outcome": "delivered"]) == 8)
        #expect(metrics.value("sopd_transfers_total", ["direction": "outbound", "outcome": "dead"]) == 1)
        #expect(metrics.value("sopd_cycles_total", ["direction": "outbound", "result": "success"]) == 1)

        let unwritable = try await onDispatchQueue {
            try BuiltProcess.run("sopd", ["--sync-now", "--config", config, "--metrics-textfile", "/nonexistent/sopd.prom"])
        }
        #expect(unwritable.status == 73, "nothing left to send, but the metrics could not be written")
        #expect(unwritable.standardError.contains("--metrics-textfile: cannot write /nonexistent/"))
        let folder = try await onDispatchQueue {
            try BuiltProcess.run("sopd", ["--sync-now", "--config", config, "--metrics-textfile", textfiles.path])
        }
        #expect(folder.status == 64 && folder.standardError.contains("--metrics-textfile needs the path of a regular file"))
        try await emulator.stop()
    }
}
