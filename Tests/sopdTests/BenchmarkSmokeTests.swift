import ChildProcess
import Foundation
import SopdTestSupport
import Testing

/// `sopd-bench` at a tiny size, so that it cannot rot; its figures live in docs/performance.md, not in tests.
@Suite struct BenchmarkSmokeTests {
    @Test func everyScenarioRunsAndReportsItsFigures() async throws {
        let outcome = try await onDispatchQueue {
            try BuiltProcess.run(
                "sopd-bench",
                [
                    "--orders", "30", "--latency-ms", "2", "--events-orders", "20", "--idle-seconds", "1", "--backlog", "40",
                    "--journal-transfers", "50", "--realtime-orders", "10", "--rate", "20", "--sweep-orders", "10", "--limited-orders", "20",
                ], timeout: 300)
        }
        #expect(outcome.status == 0, "\(outcome.standardError.suffix(500))")
        let lines = outcome.standardOutput.split(separator: "\n")
        #expect(
            lines.contains {
                $0.hasPrefix("outbound: 30 orders x 3 lines, latency 0 ms") && $0.contains("exit 0") && $0.contains("of the ceiling")
                    && $0.contains("1.000 back-office requests/order") && $0.contains("0 answered 429")
            }, "\(outcome.standardOutput)")
        #expect(lines.contains { $0.hasPrefix("latency: 30 orders x 3 lines, latency 2 ms") && $0.contains("exit 0") })
        #expect(lines.contains { $0.hasPrefix("latency sweep: 10 orders per run") && $0.contains("64: ") && $0.contains("% of the best") })
        #expect(
            lines.contains { $0.hasPrefix("limited: 20 orders, service protection at 20") && $0.contains("20 delivered") && $0.contains("0 answered 429") },
            "\(outcome.standardOutput)")
        #expect(lines.contains { $0.hasPrefix("inbound: 40 events for 20 orders") && $0.contains(": 40 applied in") })
        #expect(
            lines.contains {
                $0.hasPrefix("realtime: 10 orders submitted at 20.0/s") && $0.contains(": 10 received by the back office (0 more than once)")
                    && $0.contains("20 of 20 shipments and invoices seen applied")
            }, "\(outcome.standardOutput)")
        #expect(lines.contains { $0.hasPrefix("idle: daemon") && $0.contains("RSS") })
        #expect(lines.contains { $0.hasPrefix("backlog: 40 orders through one --sync-now: exit 0") })
        #expect(lines.contains { $0.hasPrefix("journal: 50 transfers") })
    }
}
