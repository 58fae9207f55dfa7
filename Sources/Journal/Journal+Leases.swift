import Foundation
import Transfers

/// Leases on work only one sopd may do at a time (reading the back office's change feed), and the hosts that share
/// the journal: what `sopd status` and the metrics show of several hosts.
extension Journal {
    /// The journal's name for the lease on reading the back office's change feed.
    public static let feedLeaseName = "backoffice.changes"

    /// Takes or renews the lease `name` for `owner` (`WorkLease.claim`), in one transaction with the lease's row locked.
    /// - Returns: The lease held, or nil while another live sopd holds it.
    public func acquireLease(_ name: String, owner: String? = nil, seconds: Double? = nil) throws(JournalError) -> WorkLease? {
        let owner = owner ?? self.owner
        return try write { db in
            let current = try Self.lease(db, name, locking: true)
            guard let lease = WorkLease.claim(current, name: name, by: owner, now: clock.now(), seconds: seconds ?? leaseSeconds, probe: probe)
            else { return nil }
            try Self.store(lease, db)
            return lease
        }
    }

    /// Ends `lease` early, as a sopd stopping does, so that another host takes the work over at once; a lease held
    /// by another since is left as it is.
    public func releaseLease(_ lease: WorkLease) throws(JournalError) {
        try write { db in
            // Ended, not deleted: the next holder's token goes on from this one's.
            try db.execute(
                "UPDATE lease SET until = ? WHERE name = ? AND owner = ? AND fence = ?",
                [.date(clock.now().addingTimeInterval(-1)), .text(lease.name), .text(lease.owner), .integer(lease.fence)])
        }
    }

    /// Every lease, by name.
    public func leases() throws(JournalError) -> [WorkLease] {
        try read { db in try db.rows("SELECT name, owner, until, fence FROM lease ORDER BY name", [], Self.lease(row:)) }
    }

    /// Checks, inside a write, that `lease` is still held under its token, and renews it; refuses the write
    /// (`JournalError.fenced`) when another holder took it over.
    func checkAndRenew(_ lease: WorkLease, _ db: any JournalConnection) throws {
        let current = try Self.lease(db, lease.name, locking: true)
        guard let current, current.owner == lease.owner, current.fence == lease.fence else {
            throw JournalError(
                "the lease \(lease.name) (token \(lease.fence)) was taken over\(current.map { " by \($0.owner) (token \($0.fence))" } ?? "") after this process's ran out; this write is not recorded",
                fenced: true)
        }
        var renewed = current
        renewed.until = max(current.until, clock.now().addingTimeInterval(leaseSeconds))
        try Self.store(renewed, db)
    }

    private static func lease(_ db: any JournalConnection, _ name: String, locking: Bool) throws -> WorkLease? {
        try db.row("SELECT name, owner, until, fence FROM lease WHERE name = ?\(locking ? db.dialect.lockingRows : "")", [.text(name)], lease(row:))
    }

    private static func lease(row: any JournalRow) throws -> WorkLease {
        WorkLease(
            name: try row.text(0) ?? "", owner: try row.text(1) ?? "", until: try row.date(2) ?? .distantPast, fence: try row.integer(3) ?? 0)
    }

    private static func store(_ lease: WorkLease, _ db: any JournalConnection) throws {
        try db.execute(
            """
            INSERT INTO lease (name, owner, until, fence) VALUES (?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until, fence = excluded.fence
            """, [.text(lease.name), .text(lease.owner), .date(lease.until), .integer(lease.fence)])
    }

    /// Extends, to a lease from now, the claims of the attempts this process has under way (claimed, not yet settled or
    /// given back) and the work leases it holds, while they have not run out: an attempt that takes longer than a lease
    /// (a slow back office, a long page) keeps its claim, and a host that stops renewing (dead, paused, cut off) loses
    /// its claims one lease later. A claim whose outcome could not be journaled is not renewed: it runs out, and the
    /// transfer is taken again under its key.
    /// - Returns: How many claims and leases were extended.
    @discardableResult
    public func renewLeases() throws(JournalError) -> Int {
        let now = clock.now()
        let until = now.addingTimeInterval(leaseSeconds)
        let ids = inFlight.withLock { Array($0) }.sorted()
        return try write { db in
            var renewed = try db.execute("UPDATE lease SET until = ? WHERE owner = ? AND until > ?", [.date(until), .text(owner), .date(now)])
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = ids[start..<min(start + 500, ids.count)]
                renewed += try db.execute(
                    """
                    UPDATE transfer SET leaseUntil = ? WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ", ")))
                    AND state = 'sending' AND leaseOwner = ? AND leaseUntil > ?
                    """, [.date(until)] + chunk.map { .integer($0) } + [.text(owner), .date(now)])
            }
            return renewed
        }
    }

    /// Records that this process is alive (`owner`, its version, when it started), for `hosts()`.
    public func heartbeat(version: String, startedAt: Date) throws(JournalError) {
        try write { db in
            try db.execute(
                """
                INSERT INTO host (owner, version, startedAt, seenAt) VALUES (?, ?, ?, ?)
                ON CONFLICT (owner) DO UPDATE SET version = excluded.version, startedAt = excluded.startedAt, seenAt = excluded.seenAt
                """, [.text(owner), .text(version), .date(startedAt), .date(clock.now())])
        }
    }

    /// The sopd processes that wrote a heartbeat, most recently seen first, with the transfers each holds a lease on
    /// and when the last of those leases ends.
    public func hosts() throws(JournalError) -> [JournalHost] {
        try read { db in
            let held = try db.rows(
                "SELECT leaseOwner, COUNT(*), MAX(leaseUntil) FROM transfer WHERE state = 'sending' AND leaseOwner IS NOT NULL GROUP BY leaseOwner",
                []
            ) { row in (try row.text(0) ?? "", try row.int(1) ?? 0, try row.date(2)) }
            var leased = Dictionary(held.map { ($0.0, ($0.1, $0.2)) }, uniquingKeysWith: { first, _ in first })
            var hosts = try db.rows("SELECT owner, version, startedAt, seenAt FROM host ORDER BY seenAt DESC, owner", []) { row in
                JournalHost(
                    owner: try row.text(0) ?? "", version: try row.text(1) ?? "", startedAt: try row.date(2) ?? .distantPast,
                    seenAt: try row.date(3) ?? .distantPast)
            }
            for index in hosts.indices {
                guard let (count, until) = leased.removeValue(forKey: hosts[index].owner) else { continue }
                hosts[index].transfersLeased = count
                hosts[index].transferLeasesUntil = until
            }
            return hosts
        }
    }

    /// Forgets hosts not seen since `cutoff` (processes that stopped long ago).
    @discardableResult
    public func forgetHosts(notSeenSince cutoff: Date) throws(JournalError) -> Int {
        try write { db in try db.execute("DELETE FROM host WHERE seenAt < ?", [.date(cutoff)]) }
    }
}
