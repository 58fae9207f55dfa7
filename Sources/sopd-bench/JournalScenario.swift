import Foundation
import Journal
import Transfers

/// The journal alone, two ways, `transfers` transfers each journaled, claimed and completed (three durable
/// transitions), from `workers` threads (each a serial queue of its own, as the outbound workers are) so that group
/// commit can share syncs:
/// - one at a time: each transition a write of its own;
/// - as the outbound pipeline makes them: a page of 500 journaled in one transaction, each order claimed by the
///   worker that sends it, and the orders completed 100 at a time with their attempts (as a `$batch` of stamps ends).
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
            let recorded = try batched.record((page..<min(page + 500, transfers)).map { Self.transfer($0, now: now) })
            let lock = NSLock()
            nonisolated(unsafe) var claimed: [Int64] = []
            try Workers.run(recorded.count, concurrency: workers, label: "journal") { index in
                guard let transfer = try batched.beginAttempt(recorded[index].id!) else { throw BenchError("a claim was refused") }
                lock.withLock { claimed.append(transfer.id!) }
            }
            for start in stride(from: 0, to: claimed.count, by: 100) {
                let failed = batched.complete(
                    claimed[start..<min(start + 100, claimed.count)].map { id in
                        Journal.Completion(
                            id: id, remoteId: "BO-\(id)", status: 201, attempt: AttemptLog(startedAt: now, durationMs: 1, outcome: "ok"))
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
