import Foundation
import Journal

/// The journal alone: transfers journaled, claimed and completed, one transaction per transition.
enum JournalScenario {
    static func run(transfers: Int, folder: String) throws -> Double {
        let journal = try Journal(path: "\(folder)/journal-bench.sqlite")
        let started = Date()
        for index in 0..<transfers {
            let transfer = try journal.record(
                Transfer(direction: .outbound, orderId: "id-\(index)", orderNumber: "SO-\(index)", idempotencyKey: "bench-\(index)", payload: "{}"))
            _ = try journal.beginAttempt(transfer.id!)
            try journal.complete(transfer.id!, remoteId: "BO-\(index)", status: 201)
        }
        return Double(transfers * 3) / Date().timeIntervalSince(started)
    }
}
