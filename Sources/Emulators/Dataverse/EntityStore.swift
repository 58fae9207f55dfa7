import Foundation
import JSON

/// The emulator's data, guarded by one lock: every request's reads and writes run as one transaction,
/// so a rule checked before a write still holds when the write happens.
public final class EntityStore: @unchecked Sendable {
    /// The tables served.
    public let schema: DataverseSchema
    private let lock = NSLock()
    private var tables: EntityTables

    /// Creates an empty store.
    public init(schema: DataverseSchema = .sales) {
        self.schema = schema
        tables = EntityTables(schema: schema)
    }

    /// Runs `body` on the tables with the lock held.
    public func transaction<T>(_ body: (inout EntityTables) throws(DataverseFault) -> T) throws(DataverseFault) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&tables)
    }

    /// Lets one changeset run at a time, so that each rolls back its own writes and not another's.
    let changesets = ChangesetGate()

    /// Starts keeping what every write changes, so that a changeset that fails can be rolled back.
    func beginChangeset() { lock.withLock { tables.beginChangeset() } }

    /// Ends the changeset under way: its writes stay, or are rolled back.
    func endChangeset(rollingBack: Bool) { lock.withLock { tables.endChangeset(rollingBack: rollingBack) } }

    /// A copy of one row, or nil.
    public func row(_ logicalName: String, id: String) -> [String: JSONValue]? {
        lock.withLock { tables.row(logicalName, id: id) }
    }

    /// Copies of every row of a table, in primary-key order.
    public func rows(_ logicalName: String) -> [[String: JSONValue]] {
        lock.withLock { tables.rows(logicalName) }
    }

    /// Creates a row without any Dynamics rule applied, as seeding does; see `EntityTables.create`.
    @discardableResult
    public func create(_ logicalName: String, body: [String: JSONValue], caller: String?) throws(DataverseFault) -> String {
        try transaction { (tables) throws(DataverseFault) in try tables.create(logicalName, body: body, caller: caller) }
    }

    /// Updates a row without any Dynamics rule applied; see `EntityTables.update`.
    public func update(
        _ logicalName: String, id: String, body: [String: JSONValue], ifMatch: String?, caller: String?
    ) throws(DataverseFault) {
        try transaction { (tables) throws(DataverseFault) in
            try tables.update(logicalName, id: id, body: body, ifMatch: ifMatch, caller: caller)
        }
    }
}
