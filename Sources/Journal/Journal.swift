import Foundation
import GRDB

/// The transfer journal: a SQLite file in WAL mode, readable by its owner only. Every transfer is
/// committed before it is sent and its outcome after, so a crash loses nothing and a re-send reuses the key.
public final class Journal: Sendable {
    /// The path of the SQLite file.
    public let path: String
    private let database: DatabasePool

    /// Opens the journal at `path`, creating it (mode 0600) and migrating its schema as needed.
    /// - Throws: `JournalError` naming the file and the cause.
    public init(path: String) throws(JournalError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw JournalError("cannot create the folder \(directory): \(error.localizedDescription); check its permissions")
        }
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw JournalError("cannot open \(path): \(String(cString: strerror(errno))); check the path and its permissions")
        }
        close(descriptor)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "sopd.journal"
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw JournalError("cannot open \(path) as a journal: \(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: transfers") { db in
            try db.create(table: "transfer") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("direction", .text).notNull()
                table.column("orderId", .text).notNull()
                table.column("orderNumber", .text).notNull()
                table.column("idempotencyKey", .text).notNull().unique()
                table.column("payload", .text).notNull()
                table.column("state", .text).notNull()
                table.column("attempts", .integer).notNull().defaults(to: 0)
                table.column("lastError", .text)
                table.column("lastStatus", .integer)
                table.column("remoteId", .text)
                table.column("createdAt", .datetime).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
            try db.create(index: "transfer_state", on: "transfer", columns: ["state", "direction"])
            try db.create(index: "transfer_order", on: "transfer", columns: ["orderNumber"])
        }
        migrator.registerMigration("v2: inbound events and cursors") { db in
            try db.alter(table: "transfer") { table in
                table.add(column: "sequence", .integer)
                table.add(column: "conflicts", .integer).notNull().defaults(to: 0)
            }
            try db.create(index: "transfer_inbound", on: "transfer", columns: ["direction", "sequence"])
            try db.create(table: "cursor") { table in
                table.primaryKey("name", .text)
                table.column("value", .text).notNull()
                table.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v3: returned versions") { db in
            try db.alter(table: "transfer") { table in table.add(column: "returnedAt", .datetime) }
        }
        return migrator
    }

    private func write<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            return try database.write(body)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot write \(path): \(error)")
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw JournalError("cannot read \(path): \(error)")
        }
    }

    /// Journals `transfer` unless one with its idempotency key exists, and returns the journaled row.
    public func record(_ transfer: Transfer) throws(JournalError) -> Transfer {
        try write { db in
            if let existing = try Transfer.filter(Transfer.Columns.idempotencyKey == transfer.idempotencyKey).fetchOne(db) {
                return existing
            }
            var inserted = transfer
            try inserted.insert(db)
            return inserted
        }
    }

    /// Marks the start of an attempt (state `sending`, one more attempt) and commits it before anything is sent.
    public func beginAttempt(_ id: Int64) throws(JournalError) -> Transfer {
        try move(id, to: .sending) { $0.attempts += 1 }
    }

    /// Records a delivered transfer and the peer's id for it.
    public func complete(_ id: Int64, remoteId: String?, status: Int?) throws(JournalError) -> Transfer {
        try move(id, to: .done) {
            $0.remoteId = remoteId
            $0.lastStatus = status
            $0.lastError = nil
        }
    }

    /// Records a failed attempt; the transfer waits for a retry.
    /// - Parameters:
    ///   - reason: Why it failed, already free of secrets.
    ///   - status: The HTTP status, if there was an answer.
    ///   - remoteId: The peer's id, when the failure came after the peer accepted the document.
    public func fail(_ id: Int64, reason: String, status: Int?, remoteId: String? = nil) throws(JournalError) -> Transfer {
        try move(id, to: .failed) {
            $0.lastError = reason
            $0.lastStatus = status
            if let remoteId { $0.remoteId = remoteId }
        }
    }

    private func move(_ id: Int64, to next: TransferState, _ change: @escaping (inout Transfer) -> Void) throws(JournalError)
        -> Transfer
    {
        try write { db in
            guard var transfer = try Transfer.fetchOne(db, key: id) else {
                throw JournalError("transfer \(id) does not exist")
            }
            guard transfer.state.canMove(to: next) else {
                throw JournalError("transfer \(id) (\(transfer.orderNumber)) cannot go from \(transfer.state) to \(next)")
            }
            transfer.state = next
            transfer.updatedAt = Date()
            change(&transfer)
            try transfer.update(db)
            return transfer
        }
    }

    /// Journals inbound events (unless their keys are journaled already) and moves the cursor to
    /// `cursor`, in one transaction: a crash leaves either both or neither.
    public func recordInbound(_ transfers: [Transfer], cursorName: String, cursor: String) throws(JournalError) {
        try write { db in
            for transfer in transfers {
                guard try Transfer.filter(Transfer.Columns.idempotencyKey == transfer.idempotencyKey).fetchCount(db) == 0
                else { continue }
                var inserted = transfer
                try inserted.insert(db)
            }
            try db.execute(
                sql: "INSERT INTO cursor (name, value, updatedAt) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt",
                arguments: [cursorName, cursor, Date()])
        }
    }

    /// The value of cursor `name`, or nil before the first read.
    public func cursor(_ name: String) throws(JournalError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM cursor WHERE name = ?", arguments: [name]) }
    }

    /// Sets cursor `name`, as an operator resetting a feed does.
    public func setCursor(_ name: String, to value: String) throws(JournalError) {
        try recordInbound([], cursorName: name, cursor: value)
    }

    /// Inbound transfers not yet done, in feed order.
    public func unfinishedInbound() throws(JournalError) -> [Transfer] {
        try read { db in
            try Transfer.filter(Transfer.Columns.direction == TransferDirection.inbound.rawValue)
                .filter(Transfer.Columns.state != TransferState.done.rawValue)
                .order(Transfer.Columns.sequence, Transfer.Columns.id).fetchAll(db)
        }
    }

    /// The outbound transfer the back office knows as `remoteId`, or nil when sopd never sent it.
    public func outboundTransfer(remoteId: String) throws(JournalError) -> Transfer? {
        try read { db in
            try Transfer.filter(Transfer.Columns.direction == TransferDirection.outbound.rawValue)
                .filter(Column("remoteId") == remoteId).fetchOne(db)
        }
    }

    /// Marks the delivered version the back office knows as `remoteId` as returned (rejected or deleted there).
    public func markReturned(remoteId: String) throws(JournalError) {
        try write { db in
            try db.execute(
                sql: "UPDATE transfer SET returnedAt = ? WHERE direction = ? AND remoteId = ? AND returnedAt IS NULL",
                arguments: [Date(), TransferDirection.outbound.rawValue, remoteId])
        }
    }

    /// How many delivered versions of order `orderId` the back office returned.
    public func returnedVersions(orderId: String) throws(JournalError) -> Int {
        try read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM transfer WHERE direction = ? AND orderId = ? AND returnedAt IS NOT NULL",
                arguments: [TransferDirection.outbound.rawValue, orderId]) ?? 0
        }
    }

    /// Counts one more write conflict (HTTP 412) met and resolved by re-reading.
    public func recordConflict(_ id: Int64) throws(JournalError) {
        try write { db in try db.execute(sql: "UPDATE transfer SET conflicts = conflicts + 1 WHERE id = ?", arguments: [id]) }
    }

    /// The transfer with `idempotencyKey`, or nil.
    public func transfer(idempotencyKey: String) throws(JournalError) -> Transfer? {
        try read { db in try Transfer.filter(Transfer.Columns.idempotencyKey == idempotencyKey).fetchOne(db) }
    }

    /// Transfers, newest first, optionally only those in `state`.
    public func transfers(state: TransferState? = nil, limit: Int = 100) throws(JournalError) -> [Transfer] {
        try read { db in
            var request = Transfer.order(Transfer.Columns.id.desc).limit(limit)
            if let state { request = request.filter(Transfer.Columns.state == state.rawValue) }
            return try request.fetchAll(db)
        }
    }

    /// How many transfers are in each state.
    public func countsByState() throws(JournalError) -> [TransferState: Int] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS count FROM transfer GROUP BY state")
            var counts: [TransferState: Int] = [:]
            for row in rows {
                if let state = TransferState(rawValue: row["state"]) { counts[state] = row["count"] }
            }
            return counts
        }
    }
}
