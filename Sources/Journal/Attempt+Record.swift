import GRDB
import Transfers

/// An attempt is a row of the `attempt` table, written and read by name (see `Transfer`'s record).
extension Attempt: FetchableRecord, MutablePersistableRecord {
    /// The table.
    public static let databaseTableName = "attempt"

    /// Reads a row of the table.
    public init(row: Row) throws {
        guard let startedAt = JournalTime.date(row["startedAt"]) else {
            throw JournalError("attempt \(row["id"] as Int64? ?? 0) has no valid startedAt")
        }
        self.init(
            transferId: row["transferId"], number: row["number"], startedAt: startedAt, durationMs: row["durationMs"],
            status: row["status"], outcome: row["outcome"], excerpt: row["excerpt"])
        id = row["id"]
    }

    /// Writes every column of the row.
    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["transferId"] = transferId
        container["number"] = number
        container["startedAt"] = JournalTime.text(startedAt)
        container["durationMs"] = durationMs
        container["status"] = status
        container["outcome"] = outcome
        container["excerpt"] = excerpt
    }

    /// Keeps the row id SQLite assigned.
    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
