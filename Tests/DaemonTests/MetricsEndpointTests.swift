import Daemon
import Emulators
import Foundation
import HTTP
import HTTPListener
import Journal
import SopdTestSupport
import Sync
import Testing
import Transfers

/// The monitoring endpoint over real HTTP, on a runtime whose cycles met failures: its scrape passes
/// `promtool check metrics` and its values say what the journal holds; `/readyz` follows the back office.
@Suite struct MetricsEndpointTests {
    private struct Setup {
        let fixture: SyncFixture
        let clock: ManualClock
        let runtime: Runtime
        let monitoring: Monitoring
        let endpoint: MetricsEndpoint
        let http = HTTPClient()

        func get(_ path: String) async throws -> HTTPResponse {
            try await http.response(for: HTTPRequest(method: .get, url: "http://\(endpoint.address)\(path)"))
        }

        func addOrders(_ numbers: ClosedRange<Int>) throws {
            for number in numbers {
                try DemoData.addOrder(
                    to: fixture.suite.dataverse.store, number: number, status: .inProgress, lines: [.product(1, quantity: 2)])
            }
        }

        func stop() async {
            await endpoint.stop()
            await fixture.suite.stop()
        }
    }

    private func setup() async throws -> Setup {
        let fixture = try await SyncFixture()
        try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
        let clock = ManualClock()
        let monitoring = Monitoring(logger: SyncFixture.quietLogger)
        let runtime = try fixture.runtime(clock: clock, random: FixedRandom(0.5), metrics: monitoring.metrics)
        let sources = MetricsEndpoint.Sources(
            metrics: { monitoring.text(journal: runtime.journal) }, liveness: { nil },
            readiness: { ReadinessReport(journalProblem: nil, health: runtime.engine.health) })
        let endpoint = try await MetricsEndpoint(
            address: ListenAddress(host: "127.0.0.1", port: 0), sources: sources, logger: SyncFixture.quietLogger)
        return Setup(fixture: fixture, clock: clock, runtime: runtime, monitoring: monitoring, endpoint: endpoint)
    }

    @Test func aScrapeAfterFailuresPassesPromtoolAndTellsWhatTheJournalHolds() async throws {
        let setup = try await setup()
        // Three orders: the back office refuses one (422, dead) and takes two.
        try setup.addOrders(8001...8003)
        setup.fixture.suite.backOffice.inject(.status(422))
        _ = await setup.runtime.engine.runCycle()
        // Then it goes down: two more orders wait, and it is failing.
        setup.fixture.suite.backOffice.setOutage(true)
        setup.clock.advance(by: 60)
        let failingFrom = setup.clock.now()
        try setup.addOrders(8004...8005)
        _ = await setup.runtime.engine.runCycle()
        setup.clock.advance(by: 600)

        let scrape = try await setup.get("/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        let text = String(decoding: scrape.body, as: UTF8.self)
        let check = try await Promtool.checkMetrics(text)
        #expect(check.status == 0, "promtool check metrics: \(check.output)")

        let metrics = try PrometheusSamples(text)
        #expect(metrics.value("sopd_transfers_total", ["direction": "outbound", "outcome": "delivered"]) == 2)
        #expect(metrics.value("sopd_transfers_total", ["direction": "outbound", "outcome": "dead"]) == 1)
        let waiting = ["pending", "sending", "failed"].compactMap {
            metrics.value("sopd_backlog_transfers", ["direction": "outbound", "state": $0])
        }
        #expect(waiting.reduce(0, +) == 2)
        #expect(metrics.value("sopd_oldest_waiting_transfer_age_seconds", ["direction": "outbound"]) == 600)
        #expect(metrics.value("sopd_oldest_waiting_transfer_age_seconds", ["direction": "inbound"]) == 0)
        #expect(metrics.value("sopd_peer_up", ["peer": "backoffice"]) == 0)
        #expect(metrics.value("sopd_peer_up", ["peer": "dataverse"]) == 1)
        #expect(metrics.value("sopd_peer_failing_since_timestamp_seconds", ["peer": "backoffice"]) == failingFrom.timeIntervalSince1970)
        #expect(metrics.value("sopd_cycles_total", ["direction": "outbound", "result": "failure"]) == 1)
        #expect(metrics.value("sopd_cycles_total", ["direction": "outbound", "result": "success"]) == 1)
        #expect(metrics.value("sopd_last_success_timestamp_seconds", ["direction": "outbound"]) == failingFrom.timeIntervalSince1970 - 60)
        let posts = metrics.value("sopd_peer_request_duration_seconds_count", ["peer": "backoffice", "method": "POST"]) ?? 0
        #expect(posts >= 3, "each delivery and the failing probe were measured")
        #expect(metrics.value("sopd_build_info", ["version": BuildInfo.version]) == 1)
        #expect((metrics.value("sopd_journal_size_bytes") ?? 0) > 0)
        await setup.stop()
    }

    @Test func readyzTurns503WhileTheBackOfficeIsDownAnd200WhenItReturns() async throws {
        let setup = try await setup()
        let before = try await setup.get("/readyz")
        #expect(before.status == 503, "nothing is known before the first inbound cycle: \(before.bodyText)")

        _ = await setup.runtime.engine.runCycle()
        let ready = try await setup.get("/readyz")
        #expect(ready.status == 200, "\(ready.bodyText)")
        #expect(ready.bodyText.hasPrefix(#"{"status":"ready""#))

        setup.fixture.suite.backOffice.setOutage(true)
        setup.clock.advance(by: 60)
        _ = await setup.runtime.engine.runCycle()
        let down = try await setup.get("/readyz")
        #expect(down.status == 503)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(down.body)) as? [String: Any])
        #expect(body["status"] as? String == "not ready")
        #expect(body["failed"] as? [String] == ["backoffice"])
        let checks = try #require(body["checks"] as? [String: String])
        #expect(checks["dataverse"] == "ok" && checks["journal"] == "ok")
        #expect(checks["backoffice"]?.hasPrefix("unavailable since") == true, "\(checks)")

        setup.fixture.suite.backOffice.setOutage(false)
        setup.clock.advance(by: 3600)
        _ = await setup.runtime.engine.runCycle()
        let back = try await setup.get("/readyz")
        #expect(back.status == 200, "\(back.bodyText)")
        await setup.stop()
    }

    @Test func healthzAnswersAndOtherPathsAndMethodsAreRefused() async throws {
        let setup = try await setup()
        let health = try await setup.get("/healthz")
        #expect(health.status == 200 && health.bodyText == "{\"status\":\"alive\"}\n")
        #expect(try await setup.get("/").status == 404)
        let post = try await setup.http.response(
            for: HTTPRequest(method: .post, url: "http://\(setup.endpoint.address)/metrics", body: Array("x".utf8)))
        #expect(post.status == 405 && post.headers["Allow"] == "GET, HEAD")
        await setup.stop()
    }
}
