import Foundation
import GRDB

/// The transfer journal: a SQLite file in WAL mode, readable by its owner only. Every transfer is
/// committed before it is sent and its outcome after, so a crash loses nothing and a re-send reuses the key.
public final class Journal: Sendable {
    /// The path of the SQLite file.
    public let path: String
    private let database: DatabasePool
    private let commits: GroupCommit

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
        database = try Self.openPool(path: path, configuration: configuration)
        commits = GroupCommit(database)
    }

    /// Opens and migrates the pool while holding an exclusive lock on `<journal>.lock`: two sopd
    /// starting on one journal (the daemon and a `--sync-now`) would otherwise both see it
    /// unmigrated. Switching a new file to WAL takes a lock SQLite's busy timeout does not wait for,
    /// so a busy answer is retried for a while too.
    private static func openPool(path: String, configuration: Configuration) throws(JournalError) -> DatabasePool {
        let lockFile = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFile >= 0 else {
            throw JournalError("cannot create \(path).lock: \(String(cString: strerror(errno))); check the folder's permissions")
        }
        defer { close(lockFile) }
        flock(lockFile, LOCK_EX)
        defer { flock(lockFile, LOCK_UN) }
        let deadline = Date().addingTimeInterval(10)
        while true {
            do {
                let database = try DatabasePool(path: path, configuration: configuration)
                try migrator.migrate(database)
                return database
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(20_000)
            } catch {
                throw JournalError("cannot open \(path) as a journal: \(error)")
            }
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
        migrator.registerMigration("v4: retries, leases, attempts, checkpoints") { db in
            try db.alter(table: "transfer") { table in
                table.add(column: "nextAttemptAt", .datetime)
                table.add(column: "leaseOwner", .text)
                table.add(column: "leaseUntil", .datetime)
            }
            try db.create(table: "attempt") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("transferId", .integer).notNull().indexed().references("transfer", onDelete: .cascade)
                table.column("number", .integer).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("durationMs", .integer).notNull()
                table.column("status", .integer)
                table.column("outcome", .text).notNull()
                table.column("excerpt", .text)
            }
            try db.create(table: "checkpoint") { table in
                table.primaryKey("name", .text)
                table.column("at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v5: order and remote id indexes") { db in
            try db.create(index: "transfer_order_id", on: "transfer", columns: ["orderId"])
            try db.create(index: "transfer_remote_id", on: "transfer", columns: ["remoteId"])
        }
        return migrator
    }

    /// Runs `body` in a transaction shared with the writes other threads make meanwhile (`GroupCommit`).
    private func write<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            var result: T?
            try commits.write { db in result = try body(db) }
            guard let result else { throw JournalError("cannot write \(path): the write did not run") }
            return result
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
            if let existing = try Self.transfer(db, where: "idempotencyKey", is: transfer.idempotencyKey) {
                return existing
            }
            var inserted = transfer
            try inserted.insert(db)
            return inserted
        }
    }

    /// The transfer whose unique `column` (`id` or `idempotencyKey`) is `value`, through a statement the
    /// connection compiles once: the transitions of every transfer read their row this way.
    private static func transfer(_ db: Database, where column: String, is value: some DatabaseValueConvertible) throws -> Transfer? {
        try Transfer.fetchOne(db.cachedStatement(sql: "SELECT * FROM transfer WHERE \(column) = ?"), arguments: [value])
    }

    /// This process, as it appears in `leaseOwner`: `host:pid`.
    public static let processOwner: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        return "\(String(cString: name)):\(getpid())"
    }()

    /// Whether the process that claimed a transfer may still be sending it: a process of this host
    /// that is gone is not; one of another host is until its lease ends.
    static func leaseHolderMayBeAlive(_ owner: String?, until: Date?, now: Date) -> Bool {
        guard let owner, let separator = owner.lastIndex(of: ":"), let pid = Int32(owner[owner.index(after: separator)...])
        else { return false }
        let host = String(owner[..<separator])
        let ourHost = String(processOwner[..<processOwner.lastIndex(of: ":")!])
        guard host == ourHost else { return (until ?? .distantPast) > now }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Claims the transfer for an attempt (state `sending`, one more attempt, this process as the
    /// lease owner) and commits that before anything is sent. A transfer `sending` under a process
    /// that is gone (a crash) is taken over and re-sent with the same key.
    /// - Returns: The claimed transfer, or nil when another live sopd is sending it, or it is done or dead.
    public func beginAttempt(_ id: Int64, owner: String = Journal.processOwner, leaseSeconds: Double = 300)
        throws(JournalError) -> Transfer?
    {
        try write { db in
            guard var transfer = try Self.transfer(db, where: "id", is: id) else { throw JournalError("transfer \(id) does not exist") }
            let now = Date()
            if transfer.state == .sending, transfer.leaseOwner != owner,
                Self.leaseHolderMayBeAlive(transfer.leaseOwner, until: transfer.leaseUntil, now: now)
            {
                return nil
            }
            if transfer.state == .pending || transfer.state == .failed || transfer.state == .sending {
                transfer.state = .sending
                transfer.attempts += 1
                transfer.leaseOwner = owner
                transfer.leaseUntil = now.addingTimeInterval(leaseSeconds)
                transfer.updatedAt = now
                try transfer.update(db)
                return transfer
            }
            return nil
        }
    }

    /// How a failed attempt leaves its transfer.
    public enum FailureDisposition: Sendable, Equatable {
        /// `failed`, due again at the given time.
        case retry(at: Date)
        /// `dead`: no more automatic attempts.
        case dead
    }

    /// What an attempt did, for the attempt history.
    public struct AttemptLog: Sendable {
        /// When it started.
        public var startedAt: Date
        /// How long it took, in milliseconds.
        public var durationMs: Int
        /// `ok`, or the failure class and kind.
        public var outcome: String
        /// The start of the answer or error, secrets removed.
        public var excerpt: String?

        /// Creates a log.
        public init(startedAt: Date, durationMs: Int, outcome: String, excerpt: String? = nil) {
            self.startedAt = startedAt
            self.durationMs = durationMs
            self.outcome = outcome
            self.excerpt = excerpt.map { String($0.prefix(500)) }
        }
    }

    /// Records a delivered transfer, the peer's id for it, and the attempt.
    @discardableResult
    public func complete(_ id: Int64, remoteId: String?, status: Int?, attempt: AttemptLog? = nil) throws(JournalError)
        -> Transfer
    {
        try move(id, to: .done, attempt: attempt, status: status) {
            $0.remoteId = remoteId ?? $0.remoteId
            $0.lastStatus = status
            $0.lastError = nil
            $0.nextAttemptAt = nil
        }
    }

    /// Records a failed attempt: the transfer waits for its retry, or is dead.
    /// - Parameters:
    ///   - reason: Why it failed, already free of secrets.
    ///   - status: The HTTP status, if there was an answer.
    ///   - remoteId: The peer's id, when the failure came after the peer accepted the document.
    ///   - disposition: When to try again, or dead.
    ///   - attempt: The attempt, for the history.
    @discardableResult
    public func fail(
        _ id: Int64, reason: String, status: Int?, remoteId: String? = nil, disposition: FailureDisposition,
        attempt: AttemptLog? = nil
    ) throws(JournalError) -> Transfer {
        let next: TransferState
        let retryAt: Date?
        switch disposition {
        case .retry(let at): (next, retryAt) = (.failed, at)
        case .dead: (next, retryAt) = (.dead, nil)
        }
        return try move(id, to: next, attempt: attempt, status: status) {
            $0.lastError = reason
            $0.lastStatus = status
            $0.nextAttemptAt = retryAt
            if let remoteId { $0.remoteId = remoteId }
        }
    }

    /// Puts failed or dead transfers back to pending, due now, as `sopd journal retry` does.
    /// - Returns: The ids moved.
    @discardableResult
    public func retry(_ ids: [Int64]) throws(JournalError) -> [Int64] {
        try write { db in
            var moved: [Int64] = []
            for id in ids {
                guard var transfer = try Transfer.fetchOne(db, key: id), transfer.state.canMove(to: .pending) else { continue }
                transfer.state = .pending
                transfer.nextAttemptAt = nil
                transfer.updatedAt = Date()
                try transfer.update(db)
                moved.append(id)
            }
            return moved
        }
    }

    private func move(
        _ id: Int64, to next: TransferState, attempt: AttemptLog?, status: Int?, _ change: @escaping (inout Transfer) -> Void
    ) throws(JournalError) -> Transfer {
        try write { db in
            guard var transfer = try Self.transfer(db, where: "id", is: id) else {
                throw JournalError("transfer \(id) does not exist")
            }
            guard transfer.state.canMove(to: next) else {
                throw JournalError("transfer \(id) (\(transfer.orderNumber)) cannot go from \(transfer.state) to \(next)")
            }
            transfer.state = next
            transfer.updatedAt = Date()
            transfer.leaseOwner = nil
            transfer.leaseUntil = nil
            change(&transfer)
            try transfer.update(db)
            if let attempt {
                var record = Attempt(
                    transferId: id, number: transfer.attempts, startedAt: attempt.startedAt, durationMs: attempt.durationMs,
                    status: status, outcome: attempt.outcome, excerpt: attempt.excerpt)
                try record.insert(db)
            }
            return transfer
        }
    }

    /// The attempts of a transfer, first first.
    public func attempts(of id: Int64) throws(JournalError) -> [Attempt] {
        try read { db in try Attempt.filter(Column("transferId") == id).order(Column("number")).fetchAll(db) }
    }

    /// Journals transfers (unless their keys are journaled already) and moves the cursor `cursorName`
    /// to `cursor`, in one transaction: a crash leaves either both or neither. Feeds use it for the
    /// events a read produced, change tracking for the orders a delta produced.
    public func record(_ transfers: [Transfer], cursorName: String, cursor: String) throws(JournalError) {
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

    /// The schema migrations applied to the file, oldest first, and whether the file is writable by this process.
    public func schema() throws(JournalError) -> (migrations: [String], writable: Bool) {
        let migrations = try read { db in try Self.migrator.appliedMigrations(db) }
        return (migrations, access(path, W_OK) == 0)
    }

    /// Forgets cursor `name`, as when a delta token expired.
    public func removeCursor(_ name: String) throws(JournalError) {
        try write { db in try db.execute(sql: "DELETE FROM cursor WHERE name = ?", arguments: [name]) }
    }

    /// The value of cursor `name`, or nil before the first read.
    public func cursor(_ name: String) throws(JournalError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM cursor WHERE name = ?", arguments: [name]) }
    }

    /// Sets cursor `name`, as an operator resetting a feed does.
    public func setCursor(_ name: String, to value: String) throws(JournalError) {
        try record([], cursorName: name, cursor: value)
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

    /// Outbound transfers due for an attempt now: pending, failed with their retry due, or left
    /// `sending` by a sopd that is gone. Oldest first.
    public func dueOutbound(now: Date) throws(JournalError) -> [Transfer] {
        let candidates = try read { db in
            try Transfer.filter(Transfer.Columns.direction == TransferDirection.outbound.rawValue)
                .filter([TransferState.pending.rawValue, TransferState.failed.rawValue, TransferState.sending.rawValue]
                    .contains(Transfer.Columns.state))
                .filter(Column("returnedAt") == nil)
                .order(Transfer.Columns.id).fetchAll(db)
        }
        return candidates.filter { transfer in
            switch transfer.state {
            case .pending: true
            case .failed: (transfer.nextAttemptAt ?? .distantPast) <= now
            case .sending: !Self.leaseHolderMayBeAlive(transfer.leaseOwner, until: transfer.leaseUntil, now: now)
            default: false
            }
        }
    }

    /// Marks one outbound transfer's version as returned to the salesperson, so that the order's
    /// next submission is a new version.
    public func markReturned(transferId: Int64) throws(JournalError) {
        try write { db in
            try db.execute(
                sql: "UPDATE transfer SET returnedAt = ? WHERE id = ? AND returnedAt IS NULL", arguments: [Date(), transferId])
        }
    }

    /// When the last successful cycle of `name` (such as `out` or `in`) ended, or nil.
    public func checkpoint(_ name: String) throws(JournalError) -> Date? {
        try read { db in try Date.fetchOne(db, sql: "SELECT at FROM checkpoint WHERE name = ?", arguments: [name]) }
    }

    /// Records that a cycle of `name` succeeded at `date`.
    public func setCheckpoint(_ name: String, at date: Date = Date()) throws(JournalError) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO checkpoint (name, at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET at = excluded.at",
                arguments: [name, date])
        }
    }

    /// Deletes done transfers (and their attempts) last changed before `cutoff`; dead and failed ones stay.
    /// - Returns: How many were deleted.
    @discardableResult
    public func prune(doneBefore cutoff: Date) throws(JournalError) -> Int {
        try write { db in
            try Transfer.filter(Transfer.Columns.state == TransferState.done.rawValue)
                .filter(Column("updatedAt") < cutoff).deleteAll(db)
        }
    }

    /// Every cursor with its value and when it moved.
    public func cursors() throws(JournalError) -> [(name: String, value: String, updatedAt: Date)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, value, updatedAt FROM cursor ORDER BY name").map {
                (name: $0["name"], value: $0["value"], updatedAt: $0["updatedAt"])
            }
        }
    }

    /// Transfers matching a filter, newest first.
    public func transfers(matching filter: TransferFilter) throws(JournalError) -> [Transfer] {
        try read { db in
            var request = Transfer.order(Transfer.Columns.id.desc).limit(filter.limit)
            if let state = filter.state { request = request.filter(Transfer.Columns.state == state.rawValue) }
            if let direction = filter.direction { request = request.filter(Transfer.Columns.direction == direction.rawValue) }
            if let order = filter.orderNumber { request = request.filter(Column("orderNumber") == order) }
            if let since = filter.since { request = request.filter(Column("updatedAt") >= since) }
            return try request.fetchAll(db)
        }
    }

    /// One transfer by id, or nil.
    public func transfer(id: Int64) throws(JournalError) -> Transfer? {
        try read { db in try Transfer.fetchOne(db, key: id) }
    }

    /// How many transfers are in each state, per direction.
    public func countsByDirectionAndState() throws(JournalError) -> [TransferDirection: [TransferState: Int]] {
        try read { db in
            var counts: [TransferDirection: [TransferState: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT direction, state, COUNT(*) AS count FROM transfer GROUP BY direction, state") {
                if let direction = TransferDirection(rawValue: row["direction"]), let state = TransferState(rawValue: row["state"]) {
                    counts[direction, default: [:]][state] = row["count"]
                }
            }
            return counts
        }
    }

    /// When the oldest transfer still waiting to be sent (pending, sending or failed) was journaled, or nil.
    public func oldestWaiting() throws(JournalError) -> Date? {
        try read { db in
            try Date.fetchOne(
                db, sql: "SELECT MIN(createdAt) FROM transfer WHERE state IN ('pending', 'sending', 'failed')")
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
