import Foundation
import Transfers

/// Moving a journal to another backend (`sopd journal migrate`): every transfer under its id, with its attempts,
/// cursors, checkpoints, outages and tallies, so that keys, attempts and positions in the feeds carry over.
extension Journal {
    /// What a copy carried over.
    public struct CopyReport: Sendable, Equatable {
        /// Transfers copied.
        public var transfers = 0
        /// Attempts copied.
        public var attempts = 0
        /// Cursors, checkpoints, outages and tallies copied.
        public var others = 0

        /// Creates a report.
        public init(transfers: Int = 0, attempts: Int = 0, others: Int = 0) {
            self.transfers = transfers
            self.attempts = attempts
            self.others = others
        }
    }

    /// Why this journal must not be moved now, or nil: a sopd still works on it (a live claim, or the feed's lease).
    public func busyReason(now: Date) throws(JournalError) -> String? {
        if let lease = try leases().first(where: { $0.until > now }) {
            return "\(lease.owner) holds the lease \(lease.name) until \(lease.until.formatted(.iso8601))"
        }
        let sending = try read { db in
            try db.rows(
                "SELECT leaseOwner, leaseUntil FROM transfer WHERE state = 'sending' AND leaseUntil > ? ORDER BY leaseUntil DESC LIMIT 1",
                [.date(now)]
            ) { row in (try row.text(0) ?? "?", try row.date(1) ?? now) }
        }
        return sending.first.map { "\($0.0) is sending a transfer under a lease until \($0.1.formatted(.iso8601))" }
    }

    /// Copies every row of this journal into `destination`, which must hold no transfer yet, in transactions of
    /// `batch` transfers. Leases and heartbeats are not copied: they belong to the processes of the old journal.
    /// - Throws: `JournalError` when the destination is not empty, or a read or write fails (the destination then
    ///   holds part of the copy: empty it and run the copy again).
    public func copy(into destination: Journal, batch: Int = 1000) throws(JournalError) -> CopyReport {
        let existing = try destination.read { db in try db.count("SELECT COUNT(*) FROM transfer", []) }
        guard existing == 0 else {
            throw JournalError("\(destination.location) already holds \(existing) transfer(s); move the journal into an empty one")
        }
        var report = CopyReport()
        var after: Int64 = 0
        while true {
            let transfers = try read { db in
                try db.rows(
                    "SELECT \(Transfer.selectedColumns) FROM transfer WHERE id > ? ORDER BY id LIMIT ?", [.integer(after), .integer(batch)],
                    Transfer.init(row:))
            }
            guard let last = transfers.last?.id else { break }
            let attempts = try read { db in
                try db.rows(
                    "SELECT \(Attempt.selectedColumns) FROM attempt WHERE transferId > ? AND transferId <= ? ORDER BY id",
                    [.integer(after), .integer(last)], Attempt.init(row:))
            }
            try destination.write { db in
                for var transfer in transfers { try transfer.insertRow(db) }
                for var attempt in attempts { try attempt.insertRow(db) }
            }
            report.transfers += transfers.count
            report.attempts += attempts.count
            after = last
        }
        let tables: [(select: String, insert: String, kinds: [Kind])] = [
            ("SELECT name, value, updatedAt FROM cursor", "INSERT INTO cursor (name, value, updatedAt) VALUES (?, ?, ?)", [.text, .text, .date]),
            ("SELECT name, at FROM checkpoint", "INSERT INTO checkpoint (name, at) VALUES (?, ?)", [.text, .date]),
            (
                "SELECT name, failingSince, failures, lastError FROM peer",
                "INSERT INTO peer (name, failingSince, failures, lastError) VALUES (?, ?, ?, ?)", [.text, .date, .integer, .text]
            ),
            ("SELECT direction, outcome, count FROM tally", "INSERT INTO tally (direction, outcome, count) VALUES (?, ?, ?)", [.text, .text, .integer]),
        ]
        for table in tables {
            let rows = try read { db in
                try db.rows(table.select, []) { row in try table.kinds.enumerated().map { index, kind in try kind.value(row, index) } }
            }
            try destination.write { db in
                for row in rows { try db.execute(table.insert, row) }
                if db.dialect == .postgres {
                    // Rows inserted under their ids leave the identity sequences behind: the next new row would clash.
                    for name in ["transfer", "attempt"] {
                        try db.execute("SELECT setval(pg_get_serial_sequence('\(name)', 'id'), COALESCE((SELECT MAX(id) FROM \(name)), 0) + 1, false)", [])
                    }
                }
            }
            report.others += rows.count
        }
        return report
    }

    private enum Kind {
        case text, date, integer

        func value(_ row: any JournalRow, _ index: Int) throws -> JournalValue {
            switch self {
            case .text: .text(try row.text(index))
            case .date: .date(try row.date(index))
            case .integer: .integer(try row.integer(index))
            }
        }
    }
}
