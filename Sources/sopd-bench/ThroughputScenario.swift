import Daemon
import Dataverse
import Emulators
import Foundation
import HTTP
import JSON
import Logging
import SalesRules
import Sync

/// Scenarios (a) and (b): N submitted orders of L lines through the real outbound path against both
/// emulators in-process, and the ceiling: how fast the emulators alone answer the same requests.
struct ThroughputScenario {
    let orders: Int
    let lines: Int
    let latency: Double
    let maxInFlight: Int
    let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Result {
        var ordersPerSecond: Double
        var dataversePerOrder: Double
        var backOfficePerOrder: Double
        var transitionsPerSecond: Double
        var cpuSeconds: Double
        var peakMiB: Double
        var ceilingPerSecond: Double
        var delivered: Int
    }

    private func suite() async throws -> EmulatorSuite {
        let suite = try await EmulatorSuite(sopIntegrationEnabled: true, logger: quiet)
        try DemoData.seedCatalog(into: suite.dataverse.store)
        for index in 0..<orders {
            try DemoData.addOrder(
                to: suite.dataverse.store, number: 100_000 + index, status: .inProgress,
                lines: (0..<lines).map { .product(index + $0, quantity: 1) }, account: index)
        }
        suite.dataverseServer.setLatency(latency)
        suite.backOfficeServer.setLatency(latency)
        return suite
    }

    func run() async throws -> Result {
        let suite = try await self.suite()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sopd-bench-\(UUID().uuidString)").path
        let configuration = try ConfigurationLoader.configuration(values: [
            "dataverse.url": suite.dataverseServer.baseURL, "dataverse.token": EmulatorIdentities.applicationUserToken,
            "backoffice.url": suite.backOfficeServer.baseURL,
            "backoffice.token": EmulatorIdentities.backOfficeCredentials.bearerToken,
            "journal.path": "\(folder)/journal.sqlite", "dataverse.pageSize": "5000", "dataverse.batchSize": "1000",
            "sync.maxInFlight": String(maxInFlight), "dataverse.limits.concurrent": "52",
        ])
        let runtime = try Runtime(configuration: configuration, logger: quiet)
        let before = Resources.now
        let started = Date()
        let report = await withCheckedContinuation { continuation in
            runtime.engine.startCycle(.outbound) { continuation.resume(returning: $0) }
        }
        let seconds = Date().timeIntervalSince(started)
        let after = Resources.now
        let result = Result(
            ordersPerSecond: Double(report.delivered.count) / seconds,
            dataversePerOrder: Double(suite.dataverse.requestCount) / Double(max(1, orders)),
            backOfficePerOrder: Double(suite.backOffice.requestCount) / Double(max(1, orders)),
            transitionsPerSecond: Double(report.delivered.count * 3) / seconds, cpuSeconds: after.cpuSeconds - before.cpuSeconds,
            peakMiB: after.peakMiB, ceilingPerSecond: try await ceiling(), delivered: report.delivered.count)
        await suite.stop()
        try? FileManager.default.removeItem(atPath: folder)
        return result
    }

    /// The emulators alone: the page reads, N back-office POSTs (`maxInFlight` at a time) and the
    /// `$batch` stamps, sent straight through the HTTP client with nothing of sopd around them.
    private func ceiling() async throws -> Double {
        let suite = try await self.suite()
        let dataverse = DataverseClient(
            organizationURL: suite.dataverseServer.baseURL, http: HTTPClient(),
            tokens: StaticAccessToken(EmulatorIdentities.applicationUserToken))
        let http = HTTPClient()
        let document: JSONValue = [
            "orderNumber": "SO-BENCH", "customer": ["name": "Bench"], "currency": "USD",
            "lines": .array((0..<lines).map { .object(["lineNumber": .int($0 + 1), "quantity": 1, "unitPrice": .number("1.00"), "product": ["number": "P-1001"]]) }),
        ]
        let body = document.serialized()
        let backOffice = suite.backOfficeServer.baseURL
        let started = Date()
        let ids: [String] = try await Task.detached {
            var ids: [String] = []
            var page = try dataverse.firstPage(SubmittedOrdersQuery.entitySet, query: SubmittedOrdersQuery.query, pageSize: 5000)
            ids += page.rows.compactMap { $0["salesorderid"]?.stringValue }
            while let next = page.nextLink {
                page = try dataverse.nextPage(next, pageSize: 5000)
                ids += page.rows.compactMap { $0["salesorderid"]?.stringValue }
            }
            return ids
        }.value
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<orders {
                if index >= maxInFlight { try await group.next() }
                group.addTask {
                    _ = try await http.response(
                        for: HTTPRequest(
                            method: .post, url: "\(backOffice)/orders",
                            headers: ["Authorization": "Bearer backoffice-token", "Idempotency-Key": "bench-\(index)", "Content-Type": "application/json"],
                            body: body))
                }
            }
            try await group.waitForAll()
        }
        try await Task.detached {
            for start in stride(from: 0, to: ids.count, by: 1000) {
                _ = try dataverse.batch(ids[start..<min(start + 1000, ids.count)].map {
                    BatchRequest(method: .patch, path: "salesorders(\($0))", body: ["submitstatus": .int(SubmitStatus.received.rawValue)], headers: ["If-Match": "*"])
                })
            }
        }.value
        let seconds = Date().timeIntervalSince(started)
        await suite.stop()
        return Double(orders) / seconds
    }
}
