import Foundation
import GRDB
import Transfers

/// The peers that are failing, so that `sopd status` in another process can say which, since when, and why.
extension Journal {
    /// The outages under way, by peer.
    public func outages() throws(JournalError) -> [PeerOutage] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, failingSince, failures, lastError FROM peer ORDER BY name").compactMap { row in
                guard let peer = Peer(rawValue: row["name"]) else { return nil }
                return PeerOutage(peer: peer, since: row["failingSince"], failures: row["failures"], lastError: row["lastError"])
            }
        }
    }

    /// Records `outage` as the peer's state.
    public func record(_ outage: PeerOutage) throws(JournalError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO peer (name, failingSince, failures, lastError) VALUES (?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET failingSince = excluded.failingSince, failures = excluded.failures,
                        lastError = excluded.lastError
                    """,
                arguments: [outage.peer.rawValue, JournalTime.text(outage.since), outage.failures, outage.lastError])
        }
    }

    /// Records that `peer` answers.
    public func endOutage(of peer: Peer) throws(JournalError) {
        try write { db in try db.execute(sql: "DELETE FROM peer WHERE name = ?", arguments: [peer.rawValue]) }
    }

    /// Makes every failed transfer due now, as when a peer answers again after an outage: what waited
    /// for it goes at once, not at each transfer's own backoff time.
    public func makeFailedTransfersDue() throws(JournalError) {
        try write { db in try db.execute(sql: "UPDATE transfer SET nextAttemptAt = NULL WHERE state = 'failed'") }
    }
}
