import Foundation
import Transfers

/// Running totals kept in the journal, so that they survive a restart and count every process that
/// shares the journal (the daemon and a `--sync-now` beside it, or several hosts): how attempts ended, by direction.
extension Journal {
    /// How many attempts ended in each outcome, by direction, since the journal was created.
    public func tallies() throws(JournalError) -> [TransferDirection: [TransferOutcome: Int]] {
        try read { db in
            var tallies: [TransferDirection: [TransferOutcome: Int]] = [:]
            let rows = try db.rows("SELECT direction, outcome, count FROM tally", []) { row in
                (try row.text(0).flatMap(TransferDirection.init), try row.text(1).flatMap(TransferOutcome.init), try row.int(2) ?? 0)
            }
            for (direction, outcome, count) in rows {
                if let direction, let outcome { tallies[direction, default: [:]][outcome] = count }
            }
            return tallies
        }
    }

    /// The bytes the journal takes on disk (a SQLite file and its write-ahead log), or 0 when its store cannot tell.
    public func sizeOnDisk() -> Int64 { store.sizeOnDisk() ?? 0 }

    /// Writes this process committed to the journal since it opened it: transfers journaled, claimed,
    /// settled or put back, cursors and checkpoints moved.
    public var writesCommitted: Int { store.writesCommitted }
}
