import Foundation
import Journal
import Transfers

/// The journal alone: transfers journaled, claimed and completed (three durable transitions each) by
/// `workers` threads at once, as the outbound workers make them (each a serial queue of its own), so that group commit can share syncs.
enum JournalScenario {
    static func run(transfers: Int, workers: Int, folder: String) throws -> Double {
        let journal = try Journal(path: "\(folder)/journal-bench.sqlite")
        let started = Date()
        try Workers.run(transfers, concurrency: workers, label: "journal") { index in
            let transfer = try journal.record(
                Transfer(
                    direction: .outbound, orderId: "id-\(index)", orderNumber: "SO-\(index)", idempotencyKey: "bench-\(index)",
                    payload: "{}", now: journal.clock.now()))
            _ = try journal.beginAttempt(transfer.id!)
            try journal.complete(transfer.id!, remoteId: "BO-\(index)", status: 201)
        }
        return Double(transfers * 3) / Date().timeIntervalSince(started)
    }
}
