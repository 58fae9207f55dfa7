import ChildProcess
import Dataverse
import Foundation
import HTTP
import JSON

/// Near real time, and the soak when it runs long: the daemon on its shipped defaults against an emulator under
/// its default service protection limits. A salesperson submits `orders` orders, `rate` a second; the reference
/// back office accepts each as soon as it arrives, ships it in full a second later and invoices it a second after
/// that. Measured from outside sopd: submit → back office (the back office's `receivedAt` against the start of the
/// salesperson's submit), event → Dynamics (the event's post against the first read, as the salesperson, every
/// 250 ms, that shows it applied), each order received once and each event applied, the longest time either
/// direction went without a cycle ending, sopd's RSS and descriptors along the way; then the daemon idle.
struct RealtimeScenario {
    let orders: Int
    let rate: Double
    let idleSeconds: Double
    let folder: String

    struct Result {
        var submitted = 0
        var received = 0
        var receivedMoreThanOnce = 0
        /// Shipments and invoices posted, and seen applied in Dynamics.
        var eventsPosted = 0
        var eventsSeenApplied = 0
        var toBackOffice = Latencies()
        var toDynamics = Latencies()
        var longestGapOutbound = 0.0
        var longestGapInbound = 0.0
        var driveSeconds = 0.0
        var residentMiB: (afterOneMinute: Double, atEnd: Double, peak: Double) = (0, 0, 0)
        var descriptors: (afterOneMinute: Int, atEnd: Int) = (0, 0)
        var idleCPUPercent = 0.0
        var idleDataversePerSecond = 0.0
        var throttledBySopd = 0
        var throttledByEmulator = 0
    }

    /// Latencies in seconds, for their percentiles.
    struct Latencies {
        private(set) var values: [Double] = []
        mutating func add(_ seconds: Double) { values.append(seconds) }
        func percentile(_ p: Double) -> Double {
            guard !values.isEmpty else { return .nan }
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p / 100).rounded(.up)) - 1)]
        }
        var text: String {
            String(format: "p50 %.2f s, p95 %.2f s, max %.2f s (%d)", percentile(50), percentile(95), values.max() ?? .nan, values.count)
        }
    }

    private static let shipped = 100_001
    private static let invoiced = 100_003
    private static let stamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    func run() throws -> Result {
        let (result, served) = try EmulatorProcess.with(["--draft-orders", String(orders)]) { emulator in
            let daemon = try DaemonProcess(emulator: emulator, folder: folder)
            defer { daemon.stop() }
            var drive = try Drive(emulator: emulator, daemon: daemon, orders: orders)
            var result = try drive.run(rate: rate)
            (result.idleCPUPercent, result.idleDataversePerSecond, _) = try daemon.idle(seconds: idleSeconds)
            result.throttledBySopd = Int(try daemon.scrape().sum("sopd_peer_throttled_total", "peer=\"dataverse\""))
            return result
        }
        var final = result
        final.throttledByEmulator = served.throttled
        return final
    }

    /// The load and what it saw, driven from one thread in ticks of 50 ms.
    private struct Drive {
        let daemon: DaemonProcess
        let backOffice: BackOfficeAdmin
        let http = HTTPClient()
        let salesperson: DataverseClient
        /// The draft orders by id, in the order they are submitted.
        let drafts: [String]
        var submittedAt: [String: Date] = [:]
        /// Back-office events not yet posted, by type: (when, back-office id, Dynamics id).
        var pending: [(type: String, body: String, queue: [(due: Date, backOfficeId: String, orderId: String)])] = [
            ("accepted", #"{"type":"accepted"}"#, []), ("shipped", #"{"type":"shipped","complete":true}"#, []),
            ("invoiced", #"{"type":"invoiced"}"#, []),
        ]
        /// When each (order, status code) event was posted, and whether Dynamics shows it yet.
        var posted: [String: Date] = [:]
        var seen: Set<String> = []
        var result = Result()

        init(emulator: EmulatorProcess, daemon: DaemonProcess, orders: Int) throws {
            self.daemon = daemon
            backOffice = BackOfficeAdmin(url: emulator.backOfficeURL)
            salesperson = DataverseClient(
                organizationURL: emulator.dataverseURL, http: http, tokens: StaticAccessToken("sales-user-token"))
            var page = try salesperson.firstPage(
                "salesorders", query: DataverseQuery(select: ["salesorderid", "ordernumber"], filter: "statecode eq 0"), pageSize: 5000)
            var rows = page.rows
            while let next = page.nextLink {
                page = try salesperson.nextPage(next, pageSize: 5000)
                rows += page.rows
            }
            drafts = rows.filter { ($0["ordernumber"]?.stringValue ?? "") >= "SO-40001" }
                .sorted { ($0["ordernumber"]?.stringValue ?? "") < ($1["ordernumber"]?.stringValue ?? "") }
                .compactMap { $0["salesorderid"]?.stringValue }
            guard drafts.count == orders else { throw BenchError("the emulator has \(drafts.count) draft orders, not \(orders)") }
        }

        mutating func run(rate: Double) throws -> Result {
            let start = Date()
            var next = 0
            var followed = 0
            var lastWatch = Date.distantPast
            var lastScrape = Date.distantPast
            var cycles: [String: (count: Double, at: Date)] = [:]
            var lastSubmit = start
            while true {
                let now = Date()
                while next < drafts.count, now >= start.addingTimeInterval(Double(next) / rate) {
                    try submit(drafts[next])
                    next += 1
                    lastSubmit = Date()
                }
                followed += try follow(from: followed)
                try postDue()
                if now.timeIntervalSince(lastWatch) >= 0.25 {
                    try watch()
                    lastWatch = now
                }
                if now.timeIntervalSince(lastScrape) >= 1 {
                    lastScrape = now
                    let samples = try daemon.scrape()
                    for direction in ["outbound", "inbound"] {
                        let count = samples.sum("sopd_cycles_total", "direction=\"\(direction)\"")
                        let last = cycles[direction] ?? (count, start)
                        if count > last.count || cycles[direction] == nil {
                            cycles[direction] = (count, now)
                        } else {
                            let gap = now.timeIntervalSince(last.at)
                            if direction == "outbound" {
                                result.longestGapOutbound = max(result.longestGapOutbound, gap)
                            } else {
                                result.longestGapInbound = max(result.longestGapInbound, gap)
                            }
                        }
                    }
                    let resident = daemon.process.residentMiB
                    result.residentMiB.peak = max(result.residentMiB.peak, resident)
                    if now.timeIntervalSince(start) < 60 {
                        result.residentMiB.afterOneMinute = resident
                        result.descriptors.afterOneMinute = daemon.descriptors
                    }
                    result.residentMiB.atEnd = resident
                    result.descriptors.atEnd = daemon.descriptors
                }
                let done = next == drafts.count && seen.count == 2 * drafts.count
                if done || (next == drafts.count && now.timeIntervalSince(lastSubmit) > 60) { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            result.driveSeconds = Date().timeIntervalSince(start)
            result.submitted = next
            result.eventsSeenApplied = seen.count
            return result
        }

        /// The salesperson submits an order.
        private mutating func submit(_ orderId: String) throws {
            submittedAt[orderId] = Date()
            try salesperson.update("salesorders", id: orderId, changes: ["statecode": 1, "statuscode": 3], ifMatch: "*")
        }

        /// The orders the back office received after the first `from`: their latency, their events planned.
        private mutating func follow(from: Int) throws -> Int {
            let orders = try backOffice.receivedOrders(from: from)
            let now = Date()
            for order in orders {
                guard let id = order["id"]?.stringValue, let orderId = order["document"]?["dynamics"]?["salesOrderId"]?.stringValue,
                    let receivedText = order["receivedAt"]?.stringValue, let submitted = submittedAt[orderId]
                else { throw BenchError("the back office received an order the bench did not submit: \(order.jsonText.prefix(200))") }
                result.received += 1
                if (order["deliveries"]?.intValue ?? 0) > 1 { result.receivedMoreThanOnce += 1 }
                result.toBackOffice.add(try Self.timestamp(receivedText).timeIntervalSince(submitted))
                for index in pending.indices { pending[index].queue.append((now.addingTimeInterval(Double(index)), id, orderId)) }
            }
            return orders.count
        }

        private static func timestamp(_ text: String) throws -> Date {
            try RealtimeScenario.stamp.parse(text)
        }

        /// Posts the back-office events now due.
        private mutating func postDue() throws {
            let now = Date()
            for index in pending.indices {
                while let first = pending[index].queue.first, first.due <= now {
                    pending[index].queue.removeFirst()
                    try backOffice.play(pending[index].body, on: first.backOfficeId)
                    switch pending[index].type {
                    case "shipped": posted["\(first.orderId) \(RealtimeScenario.shipped)"] = Date()
                    case "invoiced": posted["\(first.orderId) \(RealtimeScenario.invoiced)"] = Date()
                    default: continue
                    }
                    result.eventsPosted += 1
                }
            }
        }

        /// What Dynamics shows as shipped or invoiced, changed in the last 30 s: the events' latency.
        private mutating func watch() throws {
            let since = Date().addingTimeInterval(-30).formatted(.iso8601)
            let page = try salesperson.firstPage(
                "salesorders",
                query: DataverseQuery(
                    select: ["salesorderid", "statuscode"],
                    filter: "(statuscode eq \(RealtimeScenario.shipped) or statuscode eq \(RealtimeScenario.invoiced)) and modifiedon ge \(since)"),
                pageSize: 5000)
            let now = Date()
            for row in page.rows {
                guard let orderId = row["salesorderid"]?.stringValue, let status = row["statuscode"]?.intValue else { continue }
                // Invoiced shows that the shipment applied too, if a read between the two missed it.
                let statuses = status == RealtimeScenario.invoiced ? [RealtimeScenario.shipped, status] : [status]
                for status in statuses {
                    let key = "\(orderId) \(status)"
                    guard !seen.contains(key), let at = posted[key] else { continue }
                    seen.insert(key)
                    result.toDynamics.add(now.timeIntervalSince(at))
                }
            }
        }
    }
}
