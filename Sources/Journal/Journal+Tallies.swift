import Foundation
import GRDB
import Transfers

/// Running totals kept in the journal, so that they survive a restart and count every process that
/// shares the journal (the daemon and a `--sync-now` beside it): how attempts ended, by direction.
extension Journal {
    /// How many attempts ended in each outcome, by direction, since the journal was created.
    public func tallies() throws(JournalError) -> [TransferDirection: [TransferOutcome: Int]] {
        try read { db in
            var tallies: [TransferDirection: [TransferOutcome: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT direction, outcome, count FROM tally") {
                if let direction = TransferDirection(rawValue: row["direction"]),
                    let outcome = TransferOutcome(rawValue: row["outcome"])
                {
                    tallies[direction, default: [:]][outcome] = row["count"]
                }
            }
            return tallies
        }
    }

    /// Counts one more attempt of `direction` that ended in `outcome`, inside the transaction that recorded it.
    static func tally(_ db: Database, _ direction: TransferDirection, _ outcome: TransferOutcome) throws {
        try db.cachedStatement(
            sql: "INSERT INTO tally (direction, outcome, count) VALUES (?, ?, 1) ON CONFLICT(direction, outcome) DO UPDATE SET count = count + 1"
        ).execute(arguments: [direction.rawValue, outcome.rawValue])
    }

    /// The bytes the journal takes on disk: the database file and its write-ahead log.
    public func sizeOnDisk() -> Int64 {
        [path, path + "-wal"].reduce(0) { total, file in
            var status = stat()
            return total + (stat(file, &status) == 0 ? Int64(status.st_size) : 0)
        }
    }

    /// Writes this process committed to the journal since it opened it: transfers journaled, claimed,
    /// settled or put back, cursors and checkpoints moved.
    public var writesCommitted: Int { commits.committed }
}
