import Foundation
import Journal
import Transfers

/// The journal alone: transfers journaled, claimed and completed (three durable transitions each) by
/// `workers` threads at once, as the outbound workers make them (each a serial queue of its own), so that group commit can share syncs.
enum JournalScenario {
    static func run(transfers: Int, workers: Int, folder: String) throws -> Double {
        let journal = try Journal(path: "\(folder)/journal-bench.sqlite")
        let lock = NSLock()
        nonisolated(unsafe) var failure: (any Error)?
        let started = Date()
        let group = DispatchGroup()
        for worker in 0..<max(1, workers) {
            DispatchQueue(label: "sopd-bench.journal.\(worker)").async(group: group) {
                for index in stride(from: worker, to: transfers, by: max(1, workers)) {
                    do {
                        let transfer = try journal.record(
                            Transfer(
                                direction: .outbound, orderId: "id-\(index)", orderNumber: "SO-\(index)",
                                idempotencyKey: "bench-\(index)",
                                payload: "{}", now: journal.clock.now()))
                        _ = try journal.beginAttempt(transfer.id!)
                        try journal.complete(transfer.id!, remoteId: "BO-\(index)", status: 201)
                    } catch {
                        lock.withLock { failure = error }
                        return
                    }
                }
            }
        }
        group.wait()
        if let failure { throw failure }
        return Double(transfers * 3) / Date().timeIntervalSince(started)
    }
}
