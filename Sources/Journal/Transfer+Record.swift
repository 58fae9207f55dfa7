import Foundation
import GRDB
import Transfers

/// A transfer is a row of the `transfer` table. Its columns are written and read by name here rather than
/// through `Codable`, its dates as `JournalTime` writes them: every transition stores a transfer, and the coder's
/// generic path and GRDB's `DateFormatter` cost more than the write.
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
        guard let createdAt = JournalTime.date(row["createdAt"]), let updatedAt = JournalTime.date(row["updatedAt"]) else {
            throw JournalError("transfer \(row["id"] as Int64? ?? 0) has no valid createdAt or updatedAt")
        }
        self.init(
            direction: direction, orderId: row["orderId"], orderNumber: row["orderNumber"], idempotencyKey: row["idempotencyKey"],
            payload: row["payload"], sequence: row["sequence"], now: createdAt)
        id = row["id"]
        self.state = state
        attempts = row["attempts"]
        lastError = row["lastError"]
        lastStatus = row["lastStatus"]
        remoteId = row["remoteId"]
        nextAttemptAt = JournalTime.date(row["nextAttemptAt"])
        leaseOwner = row["leaseOwner"]
        leaseUntil = JournalTime.date(row["leaseUntil"])
        returnedAt = JournalTime.date(row["returnedAt"])
        conflicts = row["conflicts"]
        horizonStart = JournalTime.date(row["horizonStart"])
        self.updatedAt = updatedAt
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
        container["nextAttemptAt"] = nextAttemptAt.map(JournalTime.text)
        container["leaseOwner"] = leaseOwner
        container["leaseUntil"] = leaseUntil.map(JournalTime.text)
        container["returnedAt"] = returnedAt.map(JournalTime.text)
        container["conflicts"] = conflicts
        container["horizonStart"] = horizonStart.map(JournalTime.text)
        container["createdAt"] = JournalTime.text(createdAt)
        container["updatedAt"] = JournalTime.text(updatedAt)
    }

    /// Keeps the row id SQLite assigned.
    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The hot paths of the journal (every transition of every order) in SQL of their own, through statements each
/// connection compiles once, with columns bound and read by position.
extension Transfer {
    /// The columns `init(selected:)` reads, in its order.
    static let selectedColumns = """
        id, direction, orderId, orderNumber, idempotencyKey, payload, state, attempts, lastError, lastStatus, remoteId, \
        sequence, nextAttemptAt, leaseOwner, leaseUntil, returnedAt, conflicts, horizonStart, createdAt, updatedAt
        """

    /// Reads a row selected as `selectedColumns`, by position.
    init(selected row: Row) throws {
        guard let direction = TransferDirection(rawValue: row[1]), let state = TransferState(rawValue: row[6]) else {
            throw JournalError("transfer \(row[0] as Int64? ?? 0) has an unknown direction or state ('\(row[1] ?? "")', '\(row[6] ?? "")')")
        }
        guard let createdAt = JournalTime.date(row, 18), let updatedAt = JournalTime.date(row, 19) else {
            throw JournalError("transfer \(row[0] as Int64? ?? 0) has no valid createdAt or updatedAt")
        }
        self.init(
            direction: direction, orderId: row[2], orderNumber: row[3], idempotencyKey: row[4], payload: row[5], sequence: row[11],
            now: createdAt)
        id = row[0]
        self.state = state
        attempts = row[7]
        lastError = row[8]
        lastStatus = row[9]
        remoteId = row[10]
        nextAttemptAt = JournalTime.date(row, 12)
        leaseOwner = row[13]
        leaseUntil = JournalTime.date(row, 14)
        returnedAt = JournalTime.date(row, 15)
        conflicts = row[16]
        horizonStart = JournalTime.date(row, 17)
        self.updatedAt = updatedAt
    }

    /// Inserts the transfer as a new row (under its id when it has one) and keeps its id. `unlessJournaled`: a row with
    /// its idempotency key inserts nothing and answers false, instead of failing.
    @discardableResult
    mutating func insertRow(_ db: Database, unlessJournaled: Bool = false) throws -> Bool {
        try db.cachedStatement(sql: """
            INSERT INTO transfer (id, direction, orderId, orderNumber, idempotencyKey, payload, state, attempts, lastError, lastStatus,
                remoteId, sequence, nextAttemptAt, leaseOwner, leaseUntil, returnedAt, conflicts, horizonStart, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)\(unlessJournaled ? " ON CONFLICT(idempotencyKey) DO NOTHING" : "")
            """
        ).execute(arguments: [
            id, direction.rawValue, orderId, orderNumber, idempotencyKey, payload, state.rawValue, attempts, lastError, lastStatus,
            remoteId, sequence, nextAttemptAt.map(JournalTime.text), leaseOwner, leaseUntil.map(JournalTime.text),
            returnedAt.map(JournalTime.text), conflicts, horizonStart.map(JournalTime.text), JournalTime.text(createdAt),
            JournalTime.text(updatedAt),
        ])
        guard db.changesCount > 0 else { return false }
        id = db.lastInsertedRowID
        return true
    }

    /// Stores what a `TransferMachine` transition changes: the state, the attempts, the last answer, the retry time,
    /// the lease, the give-up horizon and the time of the change. The rest of a row is written once, or apart.
    func storeTransition(_ db: Database) throws {
        guard let id else { throw JournalError("a transfer without id cannot change") }
        try db.cachedStatement(sql: """
            UPDATE transfer SET state = ?, attempts = ?, lastError = ?, lastStatus = ?, remoteId = ?, nextAttemptAt = ?,
                leaseOwner = ?, leaseUntil = ?, horizonStart = ?, updatedAt = ?
            WHERE id = ?
            """
        ).execute(arguments: [
            state.rawValue, attempts, lastError, lastStatus, remoteId, nextAttemptAt.map(JournalTime.text), leaseOwner,
            leaseUntil.map(JournalTime.text), horizonStart.map(JournalTime.text), JournalTime.text(updatedAt), id,
        ])
    }
}

extension Attempt {
    /// Inserts the attempt as a new row (under its id when it has one) and keeps its id.
    mutating func insertRow(_ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO attempt (id, transferId, number, startedAt, durationMs, status, outcome, excerpt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).execute(arguments: [id, transferId, number, JournalTime.text(startedAt), durationMs, status, outcome, excerpt])
        id = db.lastInsertedRowID
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
