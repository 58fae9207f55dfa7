import Foundation
import GRDB
import Transfers

/// A transfer is a row of the `transfer` table. Its columns are written and read by name here rather than
/// through `Codable`: every transition stores a transfer, and the coder's generic path cost more than the write.
extension Transfer: FetchableRecord, MutablePersistableRecord {
    /// The table.
    public static let databaseTableName = "transfer"

    /// Reads a row of the table.
    public init(row: Row) throws {
        guard let direction = TransferDirection(rawValue: row["direction"]) else {
            throw JournalError("transfer \(row["id"] as Int64? ?? 0) has an unknown direction '\(row["direction"] ?? "")'")
        }
        guard let state = TransferState(rawValue: row["state"]) else {
            throw JournalError("transfer \(row["id"] as Int64? ?? 0) has an unknown state '\(row["state"] ?? "")'")
        }
        self.init(
            direction: direction, orderId: row["orderId"], orderNumber: row["orderNumber"], idempotencyKey: row["idempotencyKey"],
            payload: row["payload"], sequence: row["sequence"], now: row["createdAt"])
        id = row["id"]
        self.state = state
        attempts = row["attempts"]
        lastError = row["lastError"]
        lastStatus = row["lastStatus"]
        remoteId = row["remoteId"]
        nextAttemptAt = row["nextAttemptAt"]
        leaseOwner = row["leaseOwner"]
        leaseUntil = row["leaseUntil"]
        returnedAt = row["returnedAt"]
        conflicts = row["conflicts"]
        horizonStart = row["horizonStart"]
        updatedAt = row["updatedAt"]
    }

    /// Writes every column of the row.
    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["direction"] = direction.rawValue
        container["orderId"] = orderId
        container["orderNumber"] = orderNumber
        container["idempotencyKey"] = idempotencyKey
        container["payload"] = payload
        container["state"] = state.rawValue
        container["attempts"] = attempts
        container["lastError"] = lastError
        container["lastStatus"] = lastStatus
        container["remoteId"] = remoteId
        container["sequence"] = sequence
        container["nextAttemptAt"] = nextAttemptAt
        container["leaseOwner"] = leaseOwner
        container["leaseUntil"] = leaseUntil
        container["returnedAt"] = returnedAt
        container["conflicts"] = conflicts
        container["horizonStart"] = horizonStart
        container["createdAt"] = createdAt
        container["updatedAt"] = updatedAt
    }

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
