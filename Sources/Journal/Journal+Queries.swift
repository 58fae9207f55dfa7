import Foundation
import Transfers

/// What the pipelines and the ops commands read: due transfers, lists, counts, and pruning.
extension Journal {
    /// Outbound transfers due for an attempt at `now` (`TransferSchedule`): pending, failed with
    /// their retry due, or left `sending` by a sopd that is gone. Oldest first.
    public func dueOutbound(now: Date) throws(JournalError) -> [Transfer] {
        let candidates = try read { db in
            try db.rows(
                """
                SELECT \(Transfer.selectedColumns) FROM transfer
                WHERE state IN ('pending', 'failed', 'sending') AND direction = ? AND returnedAt IS NULL ORDER BY id
                """, [.text(TransferDirection.outbound.rawValue)], Transfer.init(row:))
        }
        return candidates.filter { transfer in
            TransferSchedule.waitReason(transfer, now: now, probe: probe) == nil
        }
    }

    /// Why `transfer` waits at `now` for this process to claim it (`TransferSchedule`, with this
    /// journal's lease probe), or nil when it is due: a transfer this process (`owner`) left `sending` (an attempt
    /// that broke off) is due again, as `beginAttempt` takes it back.
    public func waitReason(_ transfer: Transfer, now: Date) -> WaitReason? {
        TransferSchedule.waitReason(transfer, now: now, claimant: owner, probe: probe)
    }

    /// Inbound transfers not yet done, in feed order.
    public func unfinishedInbound() throws(JournalError) -> [Transfer] {
        try read { db in
            // Through the (state, direction) index, which skips the done ones: left to itself, SQLite takes the
            // (direction, sequence) index for the order and reads every event ever journaled, every poll.
            try db.rows(
                """
                SELECT \(Transfer.selectedColumns) FROM transfer\(db.dialect == .sqlite ? " INDEXED BY transfer_state" : "")
                WHERE state IN ('pending', 'sending', 'failed', 'dead') AND direction = ?
                ORDER BY sequence, id
                """, [.text(TransferDirection.inbound.rawValue)], Transfer.init(row:))
        }
    }

    /// The outbound transfer the back office knows as `remoteId`, or nil when sopd never sent it.
    public func outboundTransfer(remoteId: String) throws(JournalError) -> Transfer? {
        try read { db in
            try db.row(
                "SELECT \(Transfer.selectedColumns) FROM transfer WHERE direction = ? AND remoteId = ? ORDER BY id LIMIT 1",
                [.text(TransferDirection.outbound.rawValue), .text(remoteId)], Transfer.init(row:))
        }
    }

    /// An outbound transfer of Dynamics order `orderId` still on its way (pending, sending, or failed and waiting for a
    /// retry), or nil: an event of the back office about it may come before the delivery is recorded (by another sopd).
    public func outboundUnderWay(orderId: String) throws(JournalError) -> Transfer? {
        try read { db in
            try db.row(
                """
                SELECT \(Transfer.selectedColumns) FROM transfer
                WHERE direction = ? AND state IN ('pending', 'sending', 'failed') AND (orderId = ? OR LOWER(orderId) = ?) ORDER BY id DESC LIMIT 1
                """, [.text(TransferDirection.outbound.rawValue), .text(orderId), .text(orderId.lowercased())], Transfer.init(row:))
        }
    }

    /// An outbound transfer of the Dynamics order numbered `orderNumber` still on its way, or nil (`outboundUnderWay(orderId:)`
    /// for a back office that names orders by the Dynamics number alone).
    public func outboundUnderWay(orderNumber: String) throws(JournalError) -> Transfer? {
        try read { db in
            try db.row(
                """
                SELECT \(Transfer.selectedColumns) FROM transfer
                WHERE direction = ? AND state IN ('pending', 'sending', 'failed') AND orderNumber = ? ORDER BY id DESC LIMIT 1
                """, [.text(TransferDirection.outbound.rawValue), .text(orderNumber)], Transfer.init(row:))
        }
    }

    /// The back office's ids of the delivered versions of order `orderId` it returned (rejected or deleted there).
    public func returnedRemoteIds(orderId: String) throws(JournalError) -> Set<String> {
        try read { db in
            Set(
                try db.rows(
                    "SELECT remoteId FROM transfer WHERE direction = ? AND orderId = ? AND returnedAt IS NOT NULL AND remoteId IS NOT NULL",
                    [.text(TransferDirection.outbound.rawValue), .text(orderId)]
                ) { try $0.text(0) ?? "" })
        }
    }

    /// How many delivered versions of order `orderId` the back office returned.
    public func returnedVersions(orderId: String) throws(JournalError) -> Int {
        try read { db in
            try db.count(
                "SELECT COUNT(*) FROM transfer WHERE direction = ? AND orderId = ? AND returnedAt IS NOT NULL",
                [.text(TransferDirection.outbound.rawValue), .text(orderId)])
        }
    }

    /// The attempts of a transfer, first first.
    public func attempts(of id: Int64) throws(JournalError) -> [Attempt] {
        try read { db in
            try db.rows("SELECT \(Attempt.selectedColumns) FROM attempt WHERE transferId = ? ORDER BY number, id", [.integer(id)], Attempt.init(row:))
        }
    }

    /// Transfers matching a filter, newest first.
    public func transfers(matching filter: TransferFilter) throws(JournalError) -> [Transfer] {
        var conditions: [String] = []
        var arguments: [JournalValue] = []
        if let state = filter.state {
            conditions.append("state = ?")
            arguments.append(.text(state.rawValue))
        }
        if let direction = filter.direction {
            conditions.append("direction = ?")
            arguments.append(.text(direction.rawValue))
        }
        if let order = filter.orderNumber {
            conditions.append("orderNumber = ?")
            arguments.append(.text(order))
        }
        if let since = filter.since {
            conditions.append("updatedAt >= ?")
            arguments.append(.date(since))
        }
        let condition = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try read { db in
            try db.rows(
                "SELECT \(Transfer.selectedColumns) FROM transfer\(condition) ORDER BY id DESC LIMIT ?", arguments + [.integer(filter.limit)],
                Transfer.init(row:))
        }
    }

    /// Transfers, newest first, optionally only those in `state`.
    public func transfers(state: TransferState? = nil, limit: Int = 100) throws(JournalError) -> [Transfer] {
        try transfers(matching: TransferFilter(state: state, limit: limit))
    }

    /// One transfer by id, or nil.
    public func transfer(id: Int64) throws(JournalError) -> Transfer? {
        try read { db in try Self.transfer(db, where: "id", is: .integer(id)) }
    }

    /// The transfer with `idempotencyKey`, or nil.
    public func transfer(idempotencyKey: String) throws(JournalError) -> Transfer? {
        try read { db in try Self.transfer(db, where: "idempotencyKey", is: .text(idempotencyKey)) }
    }

    /// How many transfers are in each state, per direction.
    public func countsByDirectionAndState() throws(JournalError) -> [TransferDirection: [TransferState: Int]] {
        try read { db in
            var counts: [TransferDirection: [TransferState: Int]] = [:]
            for (direction, state, count) in try db.rows(
                "SELECT direction, state, COUNT(*) FROM transfer GROUP BY direction, state", [],
                { row in (try row.text(0).flatMap(TransferDirection.init), try row.text(1).flatMap(TransferState.init), try row.int(2) ?? 0) })
            {
                if let direction, let state { counts[direction, default: [:]][state] = count }
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
            let rows = try db.rows(
                """
                SELECT direction, state, COUNT(*), MIN(createdAt) FROM transfer
                WHERE state IN ('pending', 'sending', 'failed') OR (state = 'dead' AND returnedAt IS NULL)
                GROUP BY direction, state
                """, []
            ) { row in
                (try row.text(0).flatMap(TransferDirection.init), try row.text(1).flatMap(TransferState.init), try row.int(2) ?? 0, try row.date(3))
            }
            for (direction, state, count, oldest) in rows {
                guard let direction, let state else { continue }
                var backlog = backlogs[direction, default: DirectionBacklog()]
                backlog.counts[state] = count
                if state != .dead, let oldest {
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
        try write { db in try db.execute("DELETE FROM transfer WHERE state = 'done' AND updatedAt < ?", [.date(cutoff)]) }
    }
}
