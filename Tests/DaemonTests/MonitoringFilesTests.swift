import Daemon
import Foundation
import Journal
import SopdTestSupport
import Sync
import Testing
import Transfers

/// What ships for monitoring, judged by Prometheus's own tool: the alert rules pass their unit tests,
/// and the rules, the dashboard and docs/metrics.md name only metrics sopd exposes, and every one of them.
@Suite struct MonitoringFilesTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Every `sopd_…` name in `text`, with a histogram's `_bucket`, `_sum` and `_count` taken back to its family.
    private static func metricNames(in text: String) -> Set<String> {
        Set(
            text.matches(of: /sopd_[a-z_]+/).map { match in
                let name = String(match.output)
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                    let family = String(name.dropLast(suffix.count))
                    if MetricCatalogue.definition(named: family)?.kind == .histogram { return family }
                }
                return name
            })
    }

    @Test func theAlertRulesPassPromtoolsUnitTests() async throws {
        let folder = Self.root.appendingPathComponent("deploy/prometheus")
        let check = try await Promtool.run(["check", "rules", "sopd-alerts.yml"], in: folder)
        #expect(check.status == 0, "\(check.output)")
        let tests = try await Promtool.run(["test", "rules", "sopd-alerts.test.yml"], in: folder)
        #expect(tests.status == 0, "\(tests.output)")
        #expect(tests.output.contains("SUCCESS"))
    }

    @Test func theRulesAndTheDashboardUseOnlyMetricsSopdExposes() throws {
        let known = Set(MetricCatalogue.all.map(\.name))
        let rules = Self.metricNames(in: try Self.read("deploy/prometheus/sopd-alerts.yml"))
        #expect(rules.subtracting(known).isEmpty, "unknown in the rules: \(rules.subtracting(known))")
        let dashboardText = try Self.read("deploy/grafana/sopd-dashboard.json")
        #expect(try JSONSerialization.jsonObject(with: Data(dashboardText.utf8)) is [String: Any])
        let dashboard = Self.metricNames(in: dashboardText)
        #expect(dashboard.subtracting(known).isEmpty, "unknown in the dashboard: \(dashboard.subtracting(known))")
        for name in ["sopd_transfers_total", "sopd_backlog_transfers", "sopd_oldest_waiting_transfer_age_seconds", "sopd_peer_up",
            "sopd_peer_request_duration_seconds"]
        {
            #expect(dashboard.contains(name), "the dashboard shows \(name)")
        }
    }

    @Test func docsMetricsDocumentsEveryMetricAndNoOther() throws {
        let docs = try Self.read("docs/metrics.md")
        let known = Set(MetricCatalogue.all.map(\.name))
        let named = Self.metricNames(in: docs)
        #expect(known.subtracting(named).isEmpty, "undocumented: \(known.subtracting(named))")
        #expect(named.subtracting(known).isEmpty, "documented but not exposed: \(named.subtracting(known))")
    }

    @Test func requestsThrottlingAndRetryAfterAreMeasured() async throws {
        let exposition = PrometheusExposition()
        let metrics = SyncMetrics(factory: exposition)
        metrics.requestEnded(peer: .dataverse, method: "GET", seconds: 0.2, status: 429, retryAfter: 7)
        metrics.requestEnded(peer: .dataverse, method: "GET", seconds: 0.02, status: 200, retryAfter: nil)
        let text = exposition.text()
        #expect(try await Promtool.checkMetrics(text).status == 0)
        let samples = try PrometheusSamples(text)
        #expect(samples.value("sopd_peer_throttled_total", ["peer": "dataverse"]) == 1)
        #expect(samples.value("sopd_peer_throttled_total", ["peer": "backoffice"]) == 0)
        #expect(samples.value("sopd_peer_retry_after_seconds_total", ["peer": "dataverse"]) == 7)
        let series = ["peer": "dataverse", "method": "GET"]
        #expect(samples.value("sopd_peer_request_duration_seconds_count", series) == 2)
        #expect(samples.value("sopd_peer_request_duration_seconds_bucket", series.merging(["le": "0.025"]) { $1 }) == 1)
        #expect(samples.value("sopd_peer_request_duration_seconds_bucket", series.merging(["le": "0.25"]) { $1 }) == 2)
    }

    @Test func outcomeCountersSurviveARestartAndNeverGoDown() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let path = directory.file("journal.sqlite")
        func deliver(_ number: Int, in journal: Journal) throws {
            let transfer = try journal.record(
                Transfer(
                    direction: .outbound, orderId: "d0000000-0000-0000-0000-00000000000\(number)", orderNumber: "SO-0000\(number)",
                    idempotencyKey: "out:\(number)", payload: "{}", now: clock.now()))
            _ = try journal.beginAttempt(try #require(transfer.id))
            try journal.complete(try #require(transfer.id), remoteId: "BO-\(number)", status: 201)
        }
        func delivered(_ metrics: SyncMetrics, _ exposition: PrometheusExposition, journal: Journal) throws -> Double? {
            try metrics.refresh(from: journal)
            return try PrometheusSamples(exposition.text()).value(
                "sopd_transfers_total", ["direction": "outbound", "outcome": "delivered"])
        }

        let first = try Journal(path: path, clock: clock)
        try deliver(1, in: first)
        try deliver(2, in: first)
        let before = PrometheusExposition()
        #expect(try delivered(SyncMetrics(factory: before), before, journal: first) == 2)

        // A new process on the same journal starts from the journal's totals, pruned transfers included.
        #expect(try first.prune(doneBefore: clock.now().addingTimeInterval(1)) == 2)
        let restarted = try Journal(path: path, clock: clock)
        let after = PrometheusExposition()
        let metrics = SyncMetrics(factory: after)
        #expect(try delivered(metrics, after, journal: restarted) == 2)
        try deliver(3, in: restarted)
        #expect(try delivered(metrics, after, journal: restarted) == 3)
        #expect(try delivered(metrics, after, journal: restarted) == 3, "a refresh with nothing new adds nothing")
    }
}
