import Foundation
import Transfers

/// The peers that are failing, so that `sopd status` in another process can say which, since when, and why.
extension Journal {
    /// The outages under way, by peer.
    public func outages() throws(JournalError) -> [PeerOutage] {
        try read { db in
            try db.rows("SELECT name, failingSince, failures, lastError FROM peer ORDER BY name", []) { row -> PeerOutage? in
                guard let peer = try row.text(0).flatMap(Peer.init), let since = try row.date(1) else { return nil }
                return PeerOutage(peer: peer, since: since, failures: try row.int(2) ?? 0, lastError: try row.text(3) ?? "")
            }.compactMap { $0 }
        }
    }

    /// Records `outage` as the peer's state.
    public func record(_ outage: PeerOutage) throws(JournalError) {
        try write { db in
            try db.execute(
                """
                INSERT INTO peer (name, failingSince, failures, lastError) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET failingSince = excluded.failingSince, failures = excluded.failures,
                    lastError = excluded.lastError
                """,
                [.text(outage.peer.rawValue), .date(outage.since), .integer(outage.failures), .text(outage.lastError)])
        }
    }

    /// Records that `peer` answers.
    public func endOutage(of peer: Peer) throws(JournalError) {
        try write { db in try db.execute("DELETE FROM peer WHERE name = ?", [.text(peer.rawValue)]) }
    }

    /// Makes every failed transfer due now, as when a peer answers again after an outage: what waited
    /// for it goes at once, not at each transfer's own backoff time.
    public func makeFailedTransfersDue() throws(JournalError) {
        try write { db in try db.execute("UPDATE transfer SET nextAttemptAt = NULL WHERE state = 'failed'", []) }
    }
}
