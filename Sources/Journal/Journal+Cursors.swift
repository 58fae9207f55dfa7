import Foundation
import Transfers

/// Feed cursors (committed with the transfers they produced) and the checkpoints of successful cycles.
extension Journal {
    /// Journals transfers (unless their keys are journaled already) and moves the cursor `cursorName`
    /// to `cursor`, in one transaction: a crash leaves either both or neither. Feeds use it for the
    /// events a read produced, change tracking for the orders a delta produced (`insertAbsent`).
    /// - Parameter lease: The lease the feed was read under: the write is refused (`JournalError.fenced`) when another
    ///   sopd took it over since, and renews it otherwise.
    /// - Returns: The journaled row of each transfer, in order.
    /// - Parameter numbering: Whether the transfers take the next positions of the inbound order (`numbered`), as a
    ///   mapped ERP's events do, rather than the positions their feed gave them.
    @discardableResult
    public func record(
        _ transfers: [Transfer], cursorName: String, cursor: String, lease: WorkLease? = nil, numbering: Bool = false
    ) throws(JournalError) -> [Transfer] {
        try write { db in
            if let lease { try checkAndRenew(lease, db) }
            let journaled = try insertAbsent(numbering ? try numbered(transfers, db) : transfers, db)
            try db.execute(
                "INSERT INTO cursor (name, value, updatedAt) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt",
                [.text(cursorName), .text(cursor), .date(clock.now())])
            return journaled
        }
    }

    /// `transfers` at the next positions of the inbound order, after every inbound transfer journaled: events that come
    /// from several sources (an ERP's lists, its webhook) apply in the order they were journaled.
    private func numbered(_ transfers: [Transfer], _ db: any JournalConnection) throws -> [Transfer] {
        let last = try db.row("SELECT MAX(sequence) FROM transfer WHERE direction = ?", [.text(TransferDirection.inbound.rawValue)]) {
            try $0.int(0)
        } ?? nil
        return transfers.enumerated().map { index, transfer in
            var numbered = transfer
            numbered.sequence = (last ?? 0) + 1 + index
            return numbered
        }
    }

    /// Journals the events of one webhook notification and its receipt in one transaction, at the next positions of the
    /// inbound order, unless notification `id` was received already: a replay journals nothing.
    /// Receipts older than `keepSeconds` are forgotten meanwhile (a notification that old is refused by its time).
    /// - Returns: Whether the notification was new.
    public func recordNotification(id: String, transfers: [Transfer], keepSeconds: Double) throws(JournalError) -> Bool {
        let now = clock.now()
        return try write { db in
            try db.execute("DELETE FROM receipt WHERE receivedAt < ?", [.date(now.addingTimeInterval(-keepSeconds))])
            guard try db.execute("INSERT INTO receipt (id, receivedAt) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", [.text(id), .date(now)]) > 0
            else { return false }
            _ = try insertAbsent(try numbered(transfers, db), db)
            return true
        }
    }

    /// Inserts the transfers whose keys are not journaled yet and returns the journaled row of each, in order.
    /// A transfer whose key is journaled already with another payload (a back-office event id sent twice with
    /// different bodies) is journaled dead beside it, when it is inbound (`TransferMachine.conflictingDuplicate`),
    /// never dropped and never applied on its own; an outbound key names one submission, whose first journaled
    /// document is the one sent.
    func insertAbsent(_ transfers: [Transfer], _ db: any JournalConnection) throws -> [Transfer] {
        var tallies = TallyIncrements()
        let journaled = try transfers.map { transfer in
            var inserted = transfer
            if try inserted.insertRow(db, unlessJournaled: true) {
                if inserted.state == .dead { tallies.add(inserted.direction, .dead) }
                return inserted
            }
            guard let existing = try Self.transfer(db, where: "idempotencyKey", is: .text(transfer.idempotencyKey)) else {
                throw JournalError("transfer \(transfer.idempotencyKey) was neither inserted nor found")
            }
            guard existing.payload != transfer.payload, transfer.direction == .inbound else { return existing }
            var duplicate = TransferMachine.conflictingDuplicate(transfer, now: clock.now())
            if try duplicate.insertRow(db, unlessJournaled: true) { tallies.add(duplicate.direction, .dead) }
            return existing
        }
        try tallies.store(db)
        return journaled
    }

    /// Forgets cursor `name`, as when a delta token expired.
    public func removeCursor(_ name: String) throws(JournalError) {
        try write { db in try db.execute("DELETE FROM cursor WHERE name = ?", [.text(name)]) }
    }

    /// The value of cursor `name`, or nil before the first read.
    public func cursor(_ name: String) throws(JournalError) -> String? {
        try read { db in try db.row("SELECT value FROM cursor WHERE name = ?", [.text(name)]) { try $0.text(0) } ?? nil }
    }

    /// Sets cursor `name`, as an operator resetting a feed does.
    public func setCursor(_ name: String, to value: String) throws(JournalError) {
        try record([], cursorName: name, cursor: value)
    }

    /// Every cursor with its value and when it moved.
    public func cursors() throws(JournalError) -> [(name: String, value: String, updatedAt: Date)] {
        try read { db in
            try db.rows("SELECT name, value, updatedAt FROM cursor ORDER BY name", []) { row in
                (name: try row.text(0) ?? "", value: try row.text(1) ?? "", updatedAt: try row.date(2) ?? .distantPast)
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
        try count(Self.unreadOrdersName)
    }

    /// A count kept as cursor `name`, and when it was counted.
    private func count(_ name: String) throws(JournalError) -> (count: Int, countedAt: Date)? {
        let row = try read { db in
            try db.row("SELECT value, updatedAt FROM cursor WHERE name = ?", [.text(name)]) { (try $0.text(0), try $0.date(1)) }
        }
        guard let (value, at) = row, let count = value.flatMap({ Int($0) }), let at else { return nil }
        return (count, at)
    }

    /// The name under which the count of submitted orders `intake.filter` leaves out is kept (with the cursors).
    public static let excludedOrdersName = "dataverse.salesorders.excluded"

    /// Records how many submitted orders waiting to be sent `intake.filter` left out at the last outbound read.
    public func setExcludedOrders(_ count: Int) throws(JournalError) {
        try setCursor(Self.excludedOrdersName, to: String(count))
    }

    /// How many submitted orders `intake.filter` left out at the last outbound read, and when; nil without a filter.
    public func excludedOrders() throws(JournalError) -> (count: Int, countedAt: Date)? {
        try count(Self.excludedOrdersName)
    }

    /// When the last successful cycle of `direction` ended, or nil.
    public func checkpoint(_ direction: TransferDirection) throws(JournalError) -> Date? {
        try read { db in try db.row("SELECT at FROM checkpoint WHERE name = ?", [.text(direction.rawValue)]) { try $0.date(0) } ?? nil }
    }

    /// Records that a cycle of `direction` succeeded at `date`, by default now.
    public func setCheckpoint(_ direction: TransferDirection, at date: Date? = nil) throws(JournalError) {
        try write { db in
            try db.execute(
                "INSERT INTO checkpoint (name, at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET at = excluded.at",
                [.text(direction.rawValue), .date(date ?? clock.now())])
        }
    }
}
