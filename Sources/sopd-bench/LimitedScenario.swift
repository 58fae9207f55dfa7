import Foundation

/// Outbound with Dataverse's service protection limit binding: one `sop-emulator` holding `orders` submitted orders
/// and allowing `requests` Dataverse requests per `windowSeconds` (a sliding window, as Dataverse's), one
/// `sopd --sync-now` on the defaults but for `dataverse.limits`, set to the same limit as an operator sets them to
/// the tenant's. On the documented limit (6,000 per 5 minutes) sopd's 0.0123 requests per order would allow
/// 1,600 orders/s, more than this machine does: the limit is made tight enough to be what holds sopd back.
///
/// The limit's own bound is the least time any client needs for the requests sopd made (as the emulator counts
/// them): the first `requests` at once, then `requests` more each window, so `(⌈made / requests⌉ − 1) × windowSeconds`.
struct LimitedScenario {
    let orders: Int
    let requests: Int
    let windowSeconds: Double
    let folder: String

    struct Result {
        var delivered: Int
        var seconds: Double
        var boundSeconds: Double
        var dataverseRequests: Int
        var throttled: Int
        var status: Int32
    }

    func run() throws -> Result {
        let (sopd, served) = try EmulatorProcess.with([
            "--submitted-orders", String(orders), "--limit-requests", String(requests), "--limit-window-seconds", String(windowSeconds),
        ]) { emulator in
            try SyncNowRun(
                configPath: try emulator.sopdConfiguration(
                    folder: folder, dataverse: ["limits:", "  requests: \(requests)", "  windowSeconds: \(windowSeconds)"]),
                folder: folder)
        }
        let delivered = sopd.count(before: "delivered")
        guard delivered == orders else { throw BenchError("sopd delivered \(delivered) of \(orders) orders: \(sopd.summary)") }
        let windows = (served.dataverseRequests + requests - 1) / requests
        return Result(
            delivered: delivered, seconds: sopd.seconds, boundSeconds: Double(max(0, windows - 1)) * windowSeconds,
            dataverseRequests: served.dataverseRequests, throttled: served.throttled, status: sopd.status)
    }
}
