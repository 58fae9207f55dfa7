import ChildProcess
import Foundation
import HTTP

/// The idle daemon and the backlog, with the built `sopd` and `sop-emulator` as separate processes, so
/// that the figures are sopd's own, on the shipped defaults.
enum ProcessScenarios {
    /// The daemon idle for `seconds`, its monitoring endpoint scraped every 15 s as Prometheus would:
    /// its CPU share, resident set size, the scrapes' size, and the Dataverse requests it made.
    static func idle(seconds: Double, folder: String)
        throws -> (cpuPercent: Double, residentMiB: Double, scrapeBytes: Int, dataversePerSecond: Double)
    {
        try EmulatorProcess.with([]) { emulator in
            let port = try LoopbackPort.free()
            let daemon = try BuiltProcess("sopd", ["--config", try emulator.sopdConfiguration(folder: folder, metricsPort: port)])
            defer {
                daemon.send(SIGTERM)
                _ = try? daemon.waitForExit()
            }
            Thread.sleep(forTimeInterval: 2)
            let http = HTTPClient()
            let scrape = HTTPRequest(method: .get, url: "http://127.0.0.1:\(port)/metrics")
            let requests = { (text: String) in
                MetricSamples(text).sum("sopd_peer_request_duration_seconds_count", "peer=\"dataverse\"")
            }
            var text = String(decoding: try http.perform(scrape).body, as: UTF8.self)
            let requestsBefore = requests(text)
            let cpuBefore = daemon.cpuSeconds
            let start = Date()
            while Date().timeIntervalSince(start) < seconds {
                Thread.sleep(forTimeInterval: min(15, max(seconds - Date().timeIntervalSince(start), 0)))
                text = String(decoding: try http.perform(scrape).body, as: UTF8.self)
            }
            let cpu = daemon.cpuSeconds - cpuBefore
            return (cpu / seconds * 100, daemon.residentMiB, text.utf8.count, (requests(text) - requestsBefore) / seconds)
        }.result
    }

    /// `orders` submitted orders through one `sopd --sync-now`: its peak resident set size and time.
    static func backlog(orders: Int, folder: String) throws -> SyncNowRun {
        try EmulatorProcess.with(["--submitted-orders", String(orders)]) { emulator in
            try SyncNowRun(configPath: try emulator.sopdConfiguration(folder: folder), folder: folder)
        }.result
    }
}
