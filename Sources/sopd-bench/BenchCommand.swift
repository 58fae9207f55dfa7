import ArgumentParser
import Foundation

/// `sopd-bench`: sopd's performance figures (docs/performance.md). Every scenario but `journal` runs
/// the built `sopd` and `sop-emulator` as separate processes, sopd on its shipped defaults.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sopd-bench",
        abstract: "Measure sopd against sop-emulator: orders/s against the ceiling, events/s, idle cost, backlog memory, journal speed.",
        discussion:
            "Scenarios: outbound, latency (outbound with added latency), limited (outbound under a binding service protection limit), inbound, realtime, idle, backlog, journal, all (all of these); soak (realtime for --soak-minutes, not in all).")

    @Option(help: "outbound, latency, limited, inbound, realtime, soak, idle, backlog, journal or all.") var scenario = "all"
    @Option(help: "Orders for outbound and latency (three lines each).") var orders = 10_000
    @Option(name: .customLong("latency-ms"), help: "Latency the emulators add in latency, milliseconds.") var latencyMilliseconds = 20.0
    @Option(name: .customLong("sweep-orders"), help: "Orders per run of the concurrency sweep in latency.") var sweepOrders = 2_000
    @Option(name: .customLong("limited-orders"), help: "Orders for limited.") var limitedOrders = 10_000
    @Option(name: .customLong("limited-requests"), help: "Dataverse requests per window in limited (emulator and sopd alike).")
    var limitedRequests = 20
    @Option(name: .customLong("limited-window"), help: "The window of limited's limit, seconds.") var limitedWindow = 4.0
    @Option(name: .customLong("events-orders"), help: "Orders for inbound (two events each).") var eventOrders = 5_000
    @Option(name: .customLong("realtime-orders"), help: "Orders the salesperson submits in realtime.") var realtimeOrders = 300
    @Option(help: "Orders submitted per second in realtime and soak (three back-office events each).") var rate = 5.0
    @Option(name: .customLong("soak-minutes"), help: "How long soak submits orders.") var soakMinutes = 15.0
    @Option(name: .customLong("idle-seconds"), help: "How long idle watches the daemon.") var idleSeconds = 60.0
    @Option(name: .customLong("backlog"), help: "Orders for backlog.") var backlog = 100_000
    @Option(name: .customLong("journal-transfers"), help: "Transfers for the journal benchmark.") var journalTransfers = 20_000
    @Option(name: .customLong("journal-threads"), help: "Threads of the journal benchmark.") var journalThreads = 32

    func validate() throws {
        let known = ["outbound", "latency", "limited", "inbound", "realtime", "soak", "idle", "backlog", "journal", "all"]
        guard known.contains(scenario) else { throw ValidationError("--scenario takes one of \(known.joined(separator: ", "))") }
    }

    func run() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sopd-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let all = scenario == "all"
        func line(_ text: String) { print(text); fflush(nil) }
        /// A folder of its own for each scenario: a journal left by another would hold its orders already.
        func folder(_ scenario: String) throws -> String {
            let path = "\(root)/\(scenario)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }
        for (name, latency) in [("outbound", 0.0), ("latency", latencyMilliseconds / 1000)] where all || scenario == name {
            let outbound = OutboundScenario(orders: orders, latency: latency, folder: try folder(name))
            let result = try outbound.run()
            line(
                String(
                    format: "%@: %d orders x 3 lines, latency %.0f ms, sopd --sync-now on the defaults: exit %d, %.0f orders/s = %.0f%% of the ceiling (%.0f/s); %.4f Dataverse and %.3f back-office requests/order, %d answered 429, peak RSS %.1f MiB",
                    name, result.delivered, latency * 1000, result.status, result.sopdPerSecond,
                    result.sopdPerSecond / result.ceilingPerSecond * 100, result.ceilingPerSecond, result.dataversePerOrder,
                    result.backOfficePerOrder, result.throttled, result.peakMiB))
            guard name == "latency" else { continue }
            let rates = try outbound.sweep(orders: sweepOrders)
            let adaptive = rates.first { $0.inFlight == nil }?.perSecond ?? 0
            let fixed = rates.compactMap { rate in rate.inFlight.map { ($0, rate.perSecond) } }
            let best = fixed.max { $0.1 < $1.1 } ?? (0, 0)
            line(
                String(
                    format: "latency sweep: %d orders per run, latency %.0f ms: fixed sync.maxInFlight %@; best fixed %d at %.0f/s; the defaults (adaptive) %.0f/s = %.0f%% of the best",
                    sweepOrders, latency * 1000, fixed.map { String(format: "%d: %.0f/s", $0.0, $0.1) }.joined(separator: ", "),
                    best.0, best.1, adaptive, adaptive / max(best.1, 1e-9) * 100))
        }
        if all || scenario == "limited" {
            let result = try LimitedScenario(
                orders: limitedOrders, requests: limitedRequests, windowSeconds: limitedWindow, folder: try folder("limited")
            ).run()
            let bound =
                result.boundSeconds > 0
                ? String(
                    format: "which the limit allows in %.1f s at best (%.0f orders/s): %.0f%% of the limit's bound", result.boundSeconds,
                    Double(result.delivered) / result.boundSeconds, result.boundSeconds / result.seconds * 100)
                : "which the limit allows at once: it does not bind"
            line(
                String(
                    format: "limited: %d orders, service protection at %d Dataverse requests per %.0f s in the emulator and in sopd's dataverse.limits: exit %d, %d delivered in %.1f s = %.0f orders/s; %d Dataverse requests, %@; %d answered 429",
                    result.delivered, limitedRequests, limitedWindow, result.status, result.delivered, result.seconds,
                    Double(result.delivered) / result.seconds, result.dataverseRequests, bound, result.throttled))
        }
        if all || scenario == "inbound" {
            let result = try InboundScenario(orders: eventOrders, folder: try folder("inbound")).run()
            line(
                String(
                    format: "inbound: %d events for %d orders (accepted, then shipped), one sopd --sync-now under the default service protection limits: %d applied in %.1f s = %.0f events/s, %d Dataverse requests, 429s: %d seen by sopd, %d answered by the emulator; peak RSS %.1f MiB",
                    result.events, eventOrders, result.applied, result.seconds, Double(result.applied) / result.seconds,
                    result.dataverseRequests, result.throttledBySopd, result.throttledByEmulator, result.peakMiB))
        }
        for (name, count) in [("realtime", realtimeOrders), ("soak", Int(rate * 60 * soakMinutes))]
        where (all && name == "realtime") || scenario == name {
            let result = try RealtimeScenario(orders: count, rate: rate, idleSeconds: idleSeconds, folder: try folder(name)).run()
            line(
                String(
                    format: "%@: %d orders submitted at %.1f/s over %.0f s, the daemon on the defaults under the default limits: %d received by the back office (%d more than once); submit -> back office %@; %d of %d shipments and invoices seen applied in Dynamics, event -> Dynamics %@; longest without a cycle: outbound %.1f s, inbound %.1f s; RSS %.1f MiB after 1 min, %.1f at the end, peak %.1f; descriptors %d after 1 min, %d at the end; 429s: %d seen by sopd, %d answered; then idle %.0f s: CPU %.2f%%, %.2f Dataverse requests/s",
                    name, result.submitted, rate, result.driveSeconds, result.received, result.receivedMoreThanOnce,
                    result.toBackOffice.text, result.eventsSeenApplied, result.eventsPosted, result.toDynamics.text,
                    result.longestGapOutbound, result.longestGapInbound, result.residentMiB.afterOneMinute,
                    result.residentMiB.atEnd, result.residentMiB.peak, result.descriptors.afterOneMinute, result.descriptors.atEnd,
                    result.throttledBySopd, result.throttledByEmulator, idleSeconds, result.idleCPUPercent,
                    result.idleDataversePerSecond))
        }
        if all || scenario == "idle" {
            let idle = try ProcessScenarios.idle(seconds: idleSeconds, folder: try folder("idle"))
            line(
                String(
                    format: "idle: daemon for %.0f s, scraped every 15 s (%d bytes): CPU %.2f%%, RSS %.1f MiB, %.2f Dataverse requests/s",
                    idleSeconds, idle.scrapeBytes, idle.cpuPercent, idle.residentMiB, idle.dataversePerSecond))
        }
        if all || scenario == "backlog" {
            let run = try ProcessScenarios.backlog(orders: backlog, folder: try folder("backlog"))
            line(
                String(
                    format: "backlog: %d orders through one --sync-now: exit %d in %.1f s (%.0f orders/s), peak RSS %.1f MiB", backlog,
                    run.status, run.seconds, Double(run.count(before: "delivered")) / run.seconds, run.peakMiB))
        }
        if all || scenario == "journal" {
            let rate = try JournalScenario.run(transfers: journalTransfers, workers: journalThreads, folder: try folder("journal"))
            line(
                String(
                    format: "journal: %d transfers from %d threads, %.0f durable transitions/s one at a time, %.0f/s as the outbound pipeline makes them",
                    journalTransfers, journalThreads, rate.oneByOne, rate.asThePipeline))
        }
    }
}
