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
                ["--orders", "30", "--lines", "2", "--latency-ms", "2", "--idle-seconds", "1", "--backlog", "40", "--journal-transfers", "50"])
        }
        #expect(outcome.status == 0, "\(outcome.standardError.suffix(500))")
        let lines = outcome.standardOutput.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("a: 30 orders x 2 lines") && $0.contains("orders/s") && $0.contains("1.000 back-office requests/order") })
        #expect(lines.contains { $0.hasPrefix("b: 30 orders x 2 lines, latency 2 ms") })
        #expect(lines.contains { $0.hasPrefix("c: idle daemon") && $0.contains("RSS") })
        #expect(lines.contains { $0.hasPrefix("d: 40 orders through one --sync-now: exit 0") })
        #expect(lines.contains { $0.hasPrefix("journal: 50 transfers") })
    }
}
