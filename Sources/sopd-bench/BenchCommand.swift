import ArgumentParser
import Foundation

/// `sopd-bench`: sopd's performance figures (docs/performance.md).
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sopd-bench",
        abstract: "Measure sopd: orders/s and requests per order against the emulators, idle cost, backlog memory, journal speed.",
        discussion: "Scenarios: a (throughput), b (a with added latency), c (idle daemon), d (one --sync-now of a backlog), journal, all.")

    @Option(help: "a, b, c, d, journal or all.") var scenario = "all"
    @Option(help: "Orders for a and b.") var orders = 10_000
    @Option(help: "Lines per order.") var lines = 5
    @Option(name: .customLong("latency-ms"), help: "Latency the emulators add in b, milliseconds.") var latencyMilliseconds = 20.0
    @Option(name: .customLong("max-in-flight"), help: "Orders in flight at once.") var maxInFlight = 32
    @Option(name: .customLong("idle-seconds"), help: "How long c watches the idle daemon.") var idleSeconds = 60.0
    @Option(name: .customLong("backlog"), help: "Orders for d.") var backlog = 100_000
    @Option(name: .customLong("journal-transfers"), help: "Transfers for the journal benchmark.") var journalTransfers = 20_000

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sopd-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let all = scenario == "all"
        func line(_ text: String) { print(text); fflush(nil) }
        for (name, latency) in [("a", 0.0), ("b", latencyMilliseconds / 1000)] where all || scenario == name {
            let result = try await ThroughputScenario(orders: orders, lines: lines, latency: latency, maxInFlight: maxInFlight).run()
            line(
                String(
                    format: "%@: %d orders x %d lines, latency %.0f ms: %.0f orders/s (ceiling %.0f/s, %.0f%%), %.4f Dataverse requests/order, %.3f back-office requests/order, %.0f journal transitions/s, CPU %.1f s, peak RSS %.0f MiB (emulators included)",
                    name, result.delivered, lines, latency * 1000, result.ordersPerSecond, result.ceilingPerSecond,
                    result.ordersPerSecond / result.ceilingPerSecond * 100, result.dataversePerOrder, result.backOfficePerOrder,
                    result.transitionsPerSecond, result.cpuSeconds, result.peakMiB))
        }
        if all || scenario == "c" {
            let idle = try ProcessScenarios.idle(seconds: idleSeconds, folder: folder)
            line(
                String(
                    format: "c: idle daemon for %.0f s, scraped every 15 s (%d bytes): CPU %.2f%%, RSS %.1f MiB", idleSeconds,
                    idle.scrapeBytes, idle.cpuPercent, idle.residentMiB))
        }
        if all || scenario == "d" {
            let run = try ProcessScenarios.backlog(orders: backlog, folder: folder)
            line(
                String(
                    format: "d: %d orders through one --sync-now: exit %d in %.1f s (%.0f orders/s), peak RSS %.1f MiB", backlog,
                    run.status, run.seconds, Double(backlog) / run.seconds, run.peakMiB))
        }
        if all || scenario == "journal" {
            let rate = try JournalScenario.run(transfers: journalTransfers, workers: maxInFlight, folder: folder)
            line(String(format: "journal: %d transfers from %d threads, %.0f durable transitions/s", journalTransfers, maxInFlight, rate))
        }
    }
}
