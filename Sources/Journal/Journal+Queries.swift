import Foundation
import GRDB
import Transfers

/// What the pipelines and the ops commands read: due transfers, lists, counts, and pruning.
extension Journal {
    /// Outbound transfers due for an attempt at `now` (`TransferSchedule`): pending, failed with
    /// their retry due, or left `sending` by a sopd that is gone. Oldest first.
    public func dueOutbound(now: Date) throws(JournalError) -> [Transfer] {
        let candidates = try read { db in
            try Transfer.filter(TransferColumn.direction == TransferDirection.outbound.rawValue)
                .filter([TransferState.pending.rawValue, TransferState.failed.rawValue, TransferState.sending.rawValue]
                    .contains(TransferColumn.state))
                .filter(TransferColumn.returnedAt == nil)
                .order(TransferColumn.id).fetchAll(db)
        }
        return candidates.filter { transfer in
            TransferSchedule.waitReason(transfer, now: now, probe: probe) == nil
        }
    }

    /// Why `transfer` waits at `now` for this process to claim it (`TransferSchedule`, with this
    /// journal's lease probe), or nil when it is due: a transfer this process left `sending` (an attempt
    /// that broke off) is due again, as `beginAttempt` takes it back.
    public func waitReason(_ transfer: Transfer, now: Date) -> WaitReason? {
        TransferSchedule.waitReason(transfer, now: now, claimant: Self.processOwner, probe: probe)
    }

    /// Inbound transfers not yet done, in feed order.
    public func unfinishedInbound() throws(JournalError) -> [Transfer] {
        try read { db in
            // Through the (state, direction) index, which skips the done ones: left to itself, SQLite takes the
            // (direction, sequence) index for the order and reads every event ever journaled, every poll.
            try Transfer.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(Transfer.selectedColumns) FROM transfer INDEXED BY transfer_state
                        WHERE state IN ('pending', 'sending', 'failed', 'dead') AND direction = ?
                        ORDER BY sequence, id
                        """),
                arguments: [TransferDirection.inbound.rawValue])
        }
    }

    /// The outbound transfer the back office knows as `remoteId`, or nil when sopd never sent it.
    public func outboundTransfer(remoteId: String) throws(JournalError) -> Transfer? {
        try read { db in
            try Transfer.filter(TransferColumn.direction == TransferDirection.outbound.rawValue)
                .filter(TransferColumn.remoteId == remoteId).fetchOne(db)
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

    /// The attempts of a transfer, first first.
    public func attempts(of id: Int64) throws(JournalError) -> [Attempt] {
        try read { db in try Attempt.filter(Column("transferId") == id).order(Column("number")).fetchAll(db) }
    }

    /// Transfers matching a filter, newest first.
    public func transfers(matching filter: TransferFilter) throws(JournalError) -> [Transfer] {
        try read { db in
            var request = Transfer.order(TransferColumn.id.desc).limit(filter.limit)
            if let state = filter.state { request = request.filter(TransferColumn.state == state.rawValue) }
            if let direction = filter.direction { request = request.filter(TransferColumn.direction == direction.rawValue) }
            if let order = filter.orderNumber { request = request.filter(TransferColumn.orderNumber == order) }
            if let since = filter.since { request = request.filter(TransferColumn.updatedAt >= since) }
            return try request.fetchAll(db)
        }
    }

    /// Transfers, newest first, optionally only those in `state`.
    public func transfers(state: TransferState? = nil, limit: Int = 100) throws(JournalError) -> [Transfer] {
        try transfers(matching: TransferFilter(state: state, limit: limit))
    }

    /// One transfer by id, or nil.
    public func transfer(id: Int64) throws(JournalError) -> Transfer? {
        try read { db in try Transfer.fetchOne(db, key: id) }
    }

    /// The transfer with `idempotencyKey`, or nil.
    public func transfer(idempotencyKey: String) throws(JournalError) -> Transfer? {
        try read { db in try Self.transfer(db, where: "idempotencyKey", is: idempotencyKey) }
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

    /// How many transfers are in each state.
    public func countsByState() throws(JournalError) -> [TransferState: Int] {
        try countsByDirectionAndState().values.reduce(into: [:]) { total, counts in
            total.merge(counts, uniquingKeysWith: +)
        }
    }

    /// The backlog of each direction: counts by state (dead ones only while no salesperson has them back)
    /// and the oldest waiting transfer. The one query of what waits, for `backlog()`, `oldestWaiting()` and the metrics.
    public func backlogByDirection() throws(JournalError) -> [TransferDirection: DirectionBacklog] {
        try read { db in
            var backlogs: [TransferDirection: DirectionBacklog] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT direction, state, COUNT(*) AS count, MIN(createdAt) AS oldest FROM transfer
                    WHERE state IN ('pending', 'sending', 'failed') OR (state = 'dead' AND returnedAt IS NULL)
                    GROUP BY direction, state
                    """)
            for row in rows {
                guard let direction = TransferDirection(rawValue: row["direction"]), let state = TransferState(rawValue: row["state"])
                else { continue }
                var backlog = backlogs[direction, default: DirectionBacklog()]
                backlog.counts[state] = row["count"]
                if state != .dead, let oldest: Date = row["oldest"] {
                    backlog.oldestWaiting = min(backlog.oldestWaiting ?? oldest, oldest)
                }
                backlogs[direction] = backlog
            }
            return backlogs
        }
    }

    /// What still needs something to happen, both directions together.
    public func backlog() throws(JournalError) -> JournalBacklog {
        try backlogByDirection().values.reduce(into: JournalBacklog()) { total, backlog in
            total.waiting += [TransferState.pending, .sending, .failed].reduce(0) { $0 + (backlog.counts[$1] ?? 0) }
            total.failed += backlog.counts[.failed] ?? 0
            total.dead += backlog.counts[.dead] ?? 0
        }
    }

    /// When the oldest transfer still waiting to be sent (pending, sending or failed) was journaled, or nil.
    public func oldestWaiting() throws(JournalError) -> Date? {
        try backlogByDirection().values.compactMap(\.oldestWaiting).min()
    }

    /// Deletes done transfers (and their attempts) last changed before `cutoff`; dead and failed ones stay.
    /// - Returns: How many were deleted.
    @discardableResult
    public func prune(doneBefore cutoff: Date) throws(JournalError) -> Int {
        try write { db in
            try Transfer.filter(TransferColumn.state == TransferState.done.rawValue)
                .filter(TransferColumn.updatedAt < JournalTime.text(cutoff)).deleteAll(db)
        }
    }
}
