import GRDB
import Transfers

/// An attempt is a row of the `attempt` table.
extension Attempt: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "attempt"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
