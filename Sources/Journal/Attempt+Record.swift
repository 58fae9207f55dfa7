import GRDB
import Transfers

/// An attempt is a row of the `attempt` table, read by name, written by `insertRow` (see `Transfer`'s record).
extension Attempt: FetchableRecord, TableRecord {
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
}
