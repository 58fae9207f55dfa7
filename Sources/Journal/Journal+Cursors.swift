import Foundation
import GRDB
import Transfers

/// Feed cursors (committed with the transfers they produced) and the checkpoints of successful cycles.
extension Journal {
    /// Journals transfers (unless their keys are journaled already) and moves the cursor `cursorName`
    /// to `cursor`, in one transaction: a crash leaves either both or neither. Feeds use it for the
    /// events a read produced, change tracking for the orders a delta produced (`insertAbsent`).
    /// - Returns: The journaled row of each transfer, in order.
    @discardableResult
    public func record(_ transfers: [Transfer], cursorName: String, cursor: String) throws(JournalError) -> [Transfer] {
        try write { db in
            let journaled = try insertAbsent(transfers, db)
            try db.execute(
                sql: "INSERT INTO cursor (name, value, updatedAt) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt",
                arguments: [cursorName, cursor, JournalTime.text(clock.now())])
            return journaled
        }
    }

    /// Inserts the transfers whose keys are not journaled yet and returns the journaled row of each, in order.
    /// A transfer whose key is journaled already with another payload (a back-office event id sent twice with
    /// different bodies) is journaled dead beside it, when it is inbound (`TransferMachine.conflictingDuplicate`),
    /// never dropped and never applied on its own; an outbound key names one submission, whose first journaled
    /// document is the one sent.
    func insertAbsent(_ transfers: [Transfer], _ db: Database) throws -> [Transfer] {
        try transfers.map { transfer in
            if let existing = try Self.transfer(db, where: "idempotencyKey", is: transfer.idempotencyKey) {
                guard existing.payload != transfer.payload, transfer.direction == .inbound else { return existing }
                var duplicate = TransferMachine.conflictingDuplicate(transfer, now: clock.now())
                if try Transfer.filter(TransferColumn.idempotencyKey == duplicate.idempotencyKey).fetchCount(db) == 0 {
                    try duplicate.insertRow(db)
                    try Self.tally(db, duplicate.direction, .dead)
                }
                return existing
            }
            var inserted = transfer
            try inserted.insertRow(db)
            if inserted.state == .dead { try Self.tally(db, inserted.direction, .dead) }
            return inserted
        }
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

    /// Every cursor with its value and when it moved.
    public func cursors() throws(JournalError) -> [(name: String, value: String, updatedAt: Date)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, value, updatedAt FROM cursor ORDER BY name").map {
                (name: $0["name"], value: $0["value"], updatedAt: $0["updatedAt"])
            }
        }
    }

    /// The journal's name for the count of submitted orders in Dynamics not yet read into the journal.
    public static let unreadOrdersName = "dataverse.salesorders.unread"

    /// Records how many submitted orders Dynamics still holds unread after an outbound read (Dataverse counts up to 5000).
    public func setUnreadOrders(_ count: Int) throws(JournalError) {
        try setCursor(Self.unreadOrdersName, to: String(count))
    }

    /// How many submitted orders Dynamics held unread after the last outbound read, and when that was; nil before one.
    public func unreadOrders() throws(JournalError) -> (count: Int, countedAt: Date)? {
        try cursors().first { $0.name == Self.unreadOrdersName }.flatMap { cursor in
            Int(cursor.value).map { (count: $0, countedAt: cursor.updatedAt) }
        }
    }

    /// When the last successful cycle of `direction` ended, or nil.
    public func checkpoint(_ direction: TransferDirection) throws(JournalError) -> Date? {
        try read { db in
            try Date.fetchOne(db, sql: "SELECT at FROM checkpoint WHERE name = ?", arguments: [direction.rawValue])
        }
    }

    /// Records that a cycle of `direction` succeeded at `date`, by default now.
    public func setCheckpoint(_ direction: TransferDirection, at date: Date? = nil) throws(JournalError) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO checkpoint (name, at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET at = excluded.at",
                arguments: [direction.rawValue, JournalTime.text(date ?? clock.now())])
        }
    }
}
