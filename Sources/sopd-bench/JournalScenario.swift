import Foundation
import Journal
import Transfers

/// The journal alone, two ways, `transfers` transfers each journaled, claimed and completed (three durable
/// transitions), from `workers` threads (each a serial queue of its own, as the outbound workers are) so that group
/// commit can share syncs:
/// - one at a time: each transition a write of its own;
/// - as the outbound pipeline makes them: a page of 500 journaled and claimed in one write (`recordClaimingNew`),
///   and completed 100 at a time with their attempts (as each `$batch` of stamps ends), by the workers at once.
enum JournalScenario {
    /// Durable transitions per second, one at a time and as the pipeline batches them.
    static func run(transfers: Int, workers: Int, folder: String) throws -> (oneByOne: Double, asThePipeline: Double) {
        let single = try Journal(path: "\(folder)/journal-one-by-one.sqlite")
        var started = Date()
        try Workers.run(transfers, concurrency: workers, label: "journal") { index in
            let transfer = try single.record(Self.transfer(index, now: single.clock.now()))
            _ = try single.beginAttempt(transfer.id!)
            try single.complete(transfer.id!, remoteId: "BO-\(index)", status: 201)
        }
        let oneByOne = Double(transfers * 3) / Date().timeIntervalSince(started)

        let batched = try Journal(path: "\(folder)/journal-as-the-pipeline.sqlite")
        started = Date()
        for page in stride(from: 0, to: transfers, by: 500) {
            let now = batched.clock.now()
            let recorded = try batched.recordClaimingNew((page..<min(page + 500, transfers)).map { Self.transfer($0, now: now) })
            guard recorded.allSatisfy(\.claimed) else { throw BenchError("a new transfer was not claimed") }
            let chunks = stride(from: 0, to: recorded.count, by: 100).map { recorded[$0..<min($0 + 100, recorded.count)] }
            try Workers.run(chunks.count, concurrency: workers, label: "journal") { index in
                let failed = batched.complete(
                    chunks[index].map { recorded in
                        Journal.Completion(
                            id: recorded.transfer.id!, remoteId: "BO-\(recorded.transfer.id!)", status: 201,
                            attempt: AttemptLog(startedAt: now, durationMs: 1, outcome: "ok"))
                    })
                guard failed.isEmpty else { throw BenchError("\(failed.count) completions failed") }
            }
        }
        return (oneByOne, Double(transfers * 3) / Date().timeIntervalSince(started))
    }

    private static func transfer(_ index: Int, now: Date) -> Transfer {
        Transfer(
            direction: .outbound, orderId: "id-\(index)", orderNumber: "SO-\(index)", idempotencyKey: "bench-\(index)",
            payload: "{}", now: now)
    }
}
