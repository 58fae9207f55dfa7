import Dataverse
import Foundation
import HTTP
import JSON
import Sync

/// The outbound figures, in one run against one `sop-emulator` process holding 2 × N submitted orders
/// of three lines: first the ceiling takes N of them, then one `sopd --sync-now` on the shipped defaults
/// takes the other N, and its rate is given as a share of the ceiling's.
struct OutboundScenario {
    let orders: Int
    let latency: Double
    let folder: String

    struct Result {
        var sopdPerSecond: Double
        var ceilingPerSecond: Double
        var delivered: Int
        var dataversePerOrder: Double
        var backOfficePerOrder: Double
        var throttled: Int
        var peakMiB: Double
        var status: Int32
    }

    func run() throws -> Result {
        let ((ceiling, sopd), served) = try EmulatorProcess.with([
            "--submitted-orders", String(2 * orders), "--latency-ms", String(latency * 1000),
        ]) { emulator in
            let ceiling = try Ceiling(orders: orders, emulator: emulator)
            return (ceiling, try SyncNowRun(configPath: try emulator.sopdConfiguration(folder: folder), folder: folder))
        }
        let delivered = sopd.count(before: "delivered")
        guard delivered == orders else { throw BenchError("sopd delivered \(delivered) of \(orders) orders: \(sopd.summary)") }
        return Result(
            sopdPerSecond: Double(delivered) / sopd.seconds, ceilingPerSecond: Double(orders) / ceiling.seconds, delivered: delivered,
            dataversePerOrder: Double(served.dataverseRequests - ceiling.dataverseRequests) / Double(max(1, delivered)),
            // The change feed's reads of the run's inbound half are not the orders'.
            backOfficePerOrder: (Double(served.backOfficeRequests - ceiling.backOfficeRequests)
                - sopd.metrics.sum("sopd_peer_request_duration_seconds_count", "peer=\"backoffice\"", "method=\"GET\"")) / Double(max(1, delivered)),
            throttled: served.throttled, peakMiB: sopd.peakMiB, status: sopd.status)
    }

    /// Exactly the requests sopd needs for `orders` orders on its defaults, with nothing of sopd around
    /// them: the submitted orders read in pages of 500 (lines expanded), one back-office POST per order,
    /// `sync.maxInFlight` (32) at a time, and the stamps in `$batch`es of 100, guarded by the ETag read.
    struct Ceiling {
        var seconds: Double
        var dataverseRequests = 0
        var backOfficeRequests = 0

        init(orders: Int, emulator: EmulatorProcess) throws {
            let settings = SyncSettings()
            let dataverse = DataverseClient(
                organizationURL: emulator.dataverseURL, http: HTTPClient(), tokens: StaticAccessToken("sopd-app-token"))
            let http = HTTPClient()
            let body = JSONValue.object([
                "orderNumber": "ORD-BENCH", "customer": ["name": "Bench customer", "number": "C-1"], "currency": "USD",
                "dynamicsOrderId": .string(UUID().uuidString.lowercased()),
                "lines": .array((1...3).map { number in
                    ["lineNumber": .int(number), "quantity": 1, "unitPrice": .number("10.00"), "product": ["number": "P-1001", "name": "Product"]]
                }),
            ]).serialized()
            let stamp = JSONValue.object(OrderChanges.stamp(backOfficeId: "BO-000001", now: Date()))
            let started = Date()
            var taken = 0
            var page = try dataverse.firstPage(SubmittedOrdersQuery.entitySet, query: SubmittedOrdersQuery.query, pageSize: settings.pageSize)
            dataverseRequests += 1
            while taken < orders {
                let rows = page.rows.prefix(orders - taken)
                let posted = try Self.post(
                    rows.count, concurrency: settings.maxInFlight, taken: taken, http: http, url: "\(emulator.backOfficeURL)/orders", body: body)
                backOfficeRequests += posted
                for start in stride(from: rows.startIndex, to: rows.endIndex, by: settings.batchSize) {
                    _ = try dataverse.batch(rows[start..<min(start + settings.batchSize, rows.endIndex)].map { row in
                        BatchRequest(
                            method: .patch, path: "salesorders(\(row["salesorderid"]?.stringValue ?? ""))",
                            body: stamp,
                            headers: ["If-Match": row["@odata.etag"]?.stringValue ?? "*"])
                    })
                    dataverseRequests += 1
                }
                taken += rows.count
                guard taken < orders, let next = page.nextLink else { break }
                page = try dataverse.nextPage(next, pageSize: settings.pageSize)
                dataverseRequests += 1
            }
            seconds = Date().timeIntervalSince(started)
            guard taken == orders else { throw BenchError("the ceiling found \(taken) submitted orders, not \(orders)") }
        }

        /// `count` POSTs of `body`, `concurrency` at a time, as sopd's workers send them.
        private static func post(_ count: Int, concurrency: Int, taken: Int, http: HTTPClient, url: String, body: [UInt8]) throws -> Int {
            try Workers.run(count, concurrency: concurrency, label: "ceiling") { index in
                let response = try http.perform(
                    HTTPRequest(
                        method: .post, url: url,
                        headers: [
                            "Authorization": "Bearer backoffice-token", "Idempotency-Key": "bench-\(taken + index)",
                            "Content-Type": "application/json",
                        ], body: body))
                guard response.status == 201 || response.status == 200 else {
                    throw BenchError("the back office answered \(response.status) to the ceiling's POST")
                }
            }
            return count
        }
    }

    /// The concurrency sweep: `orders` orders through one `sopd --sync-now` per fixed `sync.maxInFlight` (1, 2, 4 …
    /// 64, `sync.adaptiveInFlight: false`), and once on the defaults (the adaptive limit), each against an emulator
    /// of its own with the same latency. Returns orders/s by concurrency, nil for the defaults.
    func sweep(orders: Int) throws -> [(inFlight: Int?, perSecond: Double)] {
        var rates: [(inFlight: Int?, perSecond: Double)] = []
        for inFlight in [nil, 1, 2, 4, 8, 16, 32, 64] as [Int?] {
            let name = inFlight.map { "fixed-\($0)" } ?? "adaptive"
            let folder = "\(self.folder)/\(name)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let run = try EmulatorProcess.with(["--submitted-orders", String(orders), "--latency-ms", String(latency * 1000)]) { emulator in
                let sync = inFlight.map { ["maxInFlight: \($0)", "adaptiveInFlight: false"] } ?? []
                return try SyncNowRun(configPath: try emulator.sopdConfiguration(folder: folder, sync: sync), folder: folder)
            }.result
            guard run.count(before: "delivered") == orders else { throw BenchError("sopd (\(name)) sent \(run.summary)") }
            rates.append((inFlight, Double(orders) / run.seconds))
        }
        return rates
    }
}
