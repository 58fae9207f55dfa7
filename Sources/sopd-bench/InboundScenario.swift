import Foundation

/// The inbound figures: `orders` orders sent by one `sopd --sync-now`, then accepted and shipped in the
/// reference back office (two events each), then one more `sopd --sync-now` applies the events, under the
/// emulator's default service protection limits (requests, execution time, concurrency).
struct InboundScenario {
    let orders: Int
    let folder: String

    struct Result {
        var events: Int
        var applied: Int
        var seconds: Double
        var dataverseRequests: Int
        var throttledBySopd: Int
        var throttledByEmulator: Int
        var peakMiB: Double
    }

    func run() throws -> Result {
        let (apply, served) = try EmulatorProcess.with(["--submitted-orders", String(orders)]) { emulator in
            let configPath = try emulator.sopdConfiguration(folder: folder)
            let send = try SyncNowRun(configPath: configPath, folder: folder)
            guard send.count(before: "delivered") == orders else { throw BenchError("sopd sent \(send.summary)") }
            try play(emulator.backOfficeURL)
            return try SyncNowRun(configPath: configPath, folder: folder)
        }
        return Result(
            events: 2 * orders, applied: apply.count(before: "changes"), seconds: apply.seconds,
            dataverseRequests: Int(apply.metrics.sum("sopd_peer_request_duration_seconds_count", "peer=\"dataverse\"")),
            throttledBySopd: Int(apply.metrics.sum("sopd_peer_throttled_total", "peer=\"dataverse\"")),
            throttledByEmulator: served.throttled, peakMiB: apply.peakMiB)
    }

    /// Accepts, then ships in full, every order the back office received, through its admin endpoint, 8 at a time.
    private func play(_ backOffice: String) throws {
        let admin = BackOfficeAdmin(url: backOffice)
        let ids = try admin.receivedOrders().compactMap { $0["id"]?.stringValue }
        guard ids.count == orders else { throw BenchError("the back office lists \(ids.count) orders, not \(orders)") }
        for event in [#"{"type":"accepted"}"#, #"{"type":"shipped","complete":true}"#] {
            try Workers.run(ids.count, concurrency: 8, label: "events") { index in try admin.play(event, on: ids[index]) }
        }
    }
}
