import GRDB
import Transfers

/// An attempt is a row of the `attempt` table.
extension Attempt: FetchableRecord, MutablePersistableRecord {
    /// The table.
    public static let databaseTableName = "attempt"

    /// Keeps the row id SQLite assigned.
    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
