import Foundation
import GRDB
import Transfers

/// A transfer is a row of the `transfer` table, written and read here rather than through `Codable` (every transition
/// of every order stores one, and the coder's generic path and GRDB's `DateFormatter` cost more than the write): its
/// columns selected in one order (`columns`, which GRDB's requests select too) and read by position, its dates as
/// `JournalTime` writes them, its writes through statements each connection compiles once.
extension Transfer: FetchableRecord, TableRecord {
    /// The table.
    public static let databaseTableName = "transfer"

    /// Every column, in the order rows are selected, read and inserted.
    static let columns = [
        "id", "direction", "orderId", "orderNumber", "idempotencyKey", "payload", "state", "attempts", "lastError", "lastStatus",
        "remoteId", "sequence", "nextAttemptAt", "leaseOwner", "leaseUntil", "returnedAt", "conflicts", "horizonStart",
        "createdAt", "updatedAt",
    ]

    /// `columns` as a select list, for the journal's own SQL.
    static let selectedColumns = columns.joined(separator: ", ")

    /// What GRDB's requests select: `columns`, in their order, which `init(row:)` reads by position.
    public static var databaseSelection: [any SQLSelectable] { columns.map { Column($0) } }

    /// Reads a row selected as `columns`, by position.
    public init(row: Row) throws {
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
            INSERT INTO transfer (\(Self.selectedColumns)) VALUES (\(Self.columns.map { _ in "?" }.joined(separator: ", ")))\
            \(unlessJournaled ? " ON CONFLICT(idempotencyKey) DO NOTHING" : "")
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
