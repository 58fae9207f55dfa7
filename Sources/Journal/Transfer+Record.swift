import GRDB
import Transfers

/// A transfer is a row of the `transfer` table.
extension Transfer: FetchableRecord, MutablePersistableRecord {
    /// The table.
    public static let databaseTableName = "transfer"

    /// Keeps the row id SQLite assigned.
    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The columns of the `transfer` table that queries filter and order on.
enum TransferColumn {
    static let id = Column("id")
    static let idempotencyKey = Column("idempotencyKey")
    static let state = Column("state")
    static let direction = Column("direction")
    static let sequence = Column("sequence")
    static let orderNumber = Column("orderNumber")
    static let remoteId = Column("remoteId")
    static let returnedAt = Column("returnedAt")
    static let updatedAt = Column("updatedAt")
}
