import ChildProcess
import Foundation
import HTTP

/// The `sopd` daemon as a separate process, on its defaults against an emulator, its monitoring endpoint on a free
/// loopback port.
final class DaemonProcess {
    let process: BuiltProcess
    private let metricsURL: String
    private let http = HTTPClient()

    /// Starts the daemon with its configuration in `folder`, and waits up to 10 s for its monitoring endpoint.
    init(emulator: EmulatorProcess, folder: String) throws {
        let port = try LoopbackPort.free()
        process = try BuiltProcess("sopd", ["--config", try emulator.sopdConfiguration(folder: folder, metricsPort: port)])
        metricsURL = "http://127.0.0.1:\(port)/metrics"
        for _ in 0..<100 {
            if (try? scrape()) != nil { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stop()
        throw BenchError("sopd's monitoring endpoint did not answer within 10 s")
    }

    /// Stops the daemon (SIGTERM) and waits for it.
    func stop() {
        process.send(SIGTERM)
        _ = try? process.waitForExit()
    }

    /// sopd's metrics now.
    func scrape() throws -> MetricSamples {
        MetricSamples(try scrapeText())
    }

    private func scrapeText() throws -> String {
        String(decoding: try http.perform(HTTPRequest(method: .get, url: metricsURL)).body, as: UTF8.self)
    }

    /// sopd's open descriptors now.
    var descriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/fd").count) ?? 0
    }

    /// The daemon left alone for `seconds`, its endpoint scraped every 15 s as Prometheus would: its CPU share, the
    /// Dataverse requests it made per second, and the last scrape's size.
    func idle(seconds: Double) throws -> (cpuPercent: Double, dataversePerSecond: Double, scrapeBytes: Int) {
        let requests = { (text: String) in
            MetricSamples(text).sum("sopd_peer_request_duration_seconds_count", "peer=\"dataverse\"")
        }
        var text = try scrapeText()
        let requestsBefore = requests(text)
        let cpuBefore = process.cpuSeconds
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            Thread.sleep(forTimeInterval: min(15, max(seconds - Date().timeIntervalSince(start), 0)))
            text = try scrapeText()
        }
        return ((process.cpuSeconds - cpuBefore) / seconds * 100, (requests(text) - requestsBefore) / seconds, text.utf8.count)
    }
}
