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
            let daemon = try DaemonProcess(emulator: emulator, folder: folder)
            defer { daemon.stop() }
            Thread.sleep(forTimeInterval: 2)
            let idle = try daemon.idle(seconds: seconds)
            return (idle.cpuPercent, daemon.process.residentMiB, idle.scrapeBytes, idle.dataversePerSecond)
        }.result
    }

    /// `orders` submitted orders through one `sopd --sync-now`: its peak resident set size and time.
    static func backlog(orders: Int, folder: String) throws -> SyncNowRun {
        try EmulatorProcess.with(["--submitted-orders", String(orders)]) { emulator in
            try SyncNowRun(configPath: try emulator.sopdConfiguration(folder: folder), folder: folder)
        }.result
    }
}
