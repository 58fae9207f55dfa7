import ChildProcess
import Foundation
import HTTP

/// Scenarios (c) and (d), with the built `sopd` and `sop-emulator` as separate processes, so that the
/// figures are sopd's own, on the shipped defaults (pages of 500 orders, stamps in batches of 100).
enum ProcessScenarios {
    private static func config(_ urls: [String], folder: String, metricsPort: UInt16 = 0) throws -> String {
        let path = "\(folder)/sopd.yaml"
        try """
        metrics:
          listen: 127.0.0.1:\(metricsPort)
        dataverse:
          url: \(urls[0])
          token: sopd-app-token
        backoffice:
          url: \(urls[1])
          token: backoffice-token
        journal:
          path: \(folder)/journal.sqlite
        log:
          level: error
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func emulator(orders: Int) throws -> (BuiltProcess, [String]) {
        let emulator = try BuiltProcess(
            "sop-emulator", ["--crm-port", "0", "--backoffice-port", "0", "--submitted-orders", String(orders)])
        let urls = emulator.readLines(2).map { String($0.split(separator: " ").last ?? "") }
        guard urls.count == 2 else { throw BenchError("sop-emulator did not announce its URLs") }
        return (emulator, urls)
    }

    /// (c) The daemon idle for `seconds`, its monitoring endpoint scraped every 15 s as Prometheus
    /// would: its CPU share, resident set size, and the scrapes' size.
    static func idle(seconds: Double, folder: String) throws -> (cpuPercent: Double, residentMiB: Double, scrapeBytes: Int) {
        let (emulator, urls) = try emulator(orders: 0)
        defer { stop(emulator) }
        let port = try LoopbackPort.free()
        let configPath = try config(urls, folder: folder, metricsPort: port)
        try enableSOP(configPath)
        let daemon = try BuiltProcess("sopd", ["--config", configPath])
        Thread.sleep(forTimeInterval: 2)
        let http = HTTPClient()
        let scrape = HTTPRequest(method: .get, url: "http://127.0.0.1:\(port)/metrics")
        var scrapeBytes = try http.perform(scrape).body.count
        let cpuBefore = daemon.cpuSeconds
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            Thread.sleep(forTimeInterval: min(15, max(seconds - Date().timeIntervalSince(start), 0)))
            scrapeBytes = try http.perform(scrape).body.count
        }
        let cpu = daemon.cpuSeconds - cpuBefore
        let resident = daemon.residentMiB
        stop(daemon)
        return (cpu / seconds * 100, resident, scrapeBytes)
    }

    /// (d) `orders` submitted orders through one `sopd --sync-now`: its peak resident set size and time.
    static func backlog(orders: Int, folder: String) throws -> (peakMiB: Double, seconds: Double, status: Int32) {
        let (emulator, urls) = try emulator(orders: orders)
        defer { stop(emulator) }
        let configPath = try config(urls, folder: folder)
        try enableSOP(configPath)
        let started = Date()
        let run = try BuiltProcess("sopd", ["--sync-now", "--config", configPath]).waitForExit(timeout: 3 * 3600)
        return (run.peakResidentMiB, Date().timeIntervalSince(started), run.status)
    }

    /// Turns sales order processing integration on, as an administrator does before running sopd: the
    /// emulator starts with it off, as Dynamics does.
    private static func enableSOP(_ configPath: String) throws {
        let run = try BuiltProcess("sopd", ["sop", "enable", "--config", configPath]).waitForExit(timeout: 60)
        guard run.status == 0 else { throw BenchError("sopd sop enable exited \(run.status)") }
    }

    private static func stop(_ process: BuiltProcess) {
        process.send(SIGTERM)
        _ = try? process.waitForExit()
    }
}
