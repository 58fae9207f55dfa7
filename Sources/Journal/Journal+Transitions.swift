import Foundation
import Transfers

/// The transitions of transfers, each `TransferMachine`'s decision stored in one transaction.
extension Journal {
    /// This process, as it appears in `leaseOwner` by default: `host:pid`.
    public static let processOwner = TransferOwner(host: LocalProcessProbe.hostName, pid: getpid()).description

    /// Journals `transfer` unless one with its idempotency key exists, and returns the journaled row.
    /// The common case on every poll, an order journaled already, is a read and takes no write lock.
    public func record(_ transfer: Transfer) throws(JournalError) -> Transfer {
        try record([transfer])[0]
    }

    /// Journals several transfers in one transaction, as `record(_:)` journals one (`insertAbsent`), and returns
    /// the journaled rows in the same order. A page of orders read again, all journaled already, is a read and
    /// takes no write lock.
    public func record(_ transfers: [Transfer]) throws(JournalError) -> [Transfer] {
        if let journaled = try journaledAlready(transfers) { return journaled }
        return try write { db in try insertAbsent(transfers, db) }
    }

    /// The journaled rows of `transfers`' keys when every one is journaled already (a page read again), read without
    /// the write lock; nil when one is new.
    private func journaledAlready(_ transfers: [Transfer]) throws(JournalError) -> [Transfer]? {
        let existing = try read { db in
            try transfers.map { try Self.transfer(db, where: "idempotencyKey", is: .text($0.idempotencyKey)) }
        }
        return existing.contains { $0 == nil } ? nil : existing.compactMap { $0 }
    }

    /// A transfer as `recordClaimingNew` left it.
    public struct Recorded: Sendable {
        /// The journaled row: claimed (`sending`, under the caller's lease) when `claimed`.
        public var transfer: Transfer
        /// Whether the transfer was new and is claimed for its first attempt.
        public var claimed: Bool
    }

    /// Journals the transfers whose keys are new and claims them for their first attempt in the same
    /// transaction (`TransferMachine.claim`), so a new order costs one write before it is sent; a transfer
    /// journaled already is returned as it is, unclaimed, for the caller to decide on. A claim no attempt goes
    /// out under is given back with `release`. Meant for outbound orders read from Dynamics: what `record`
    /// does with an inbound event sent twice with different bodies is not done here.
    public func recordClaimingNew(_ transfers: [Transfer], owner: String? = nil, leaseSeconds: Double? = nil)
        throws(JournalError) -> [Recorded]
    {
        if let journaled = try journaledAlready(transfers) { return journaled.map { Recorded(transfer: $0, claimed: false) } }
        let recorded = try write { db in
            var tallies = TallyIncrements()
            let recorded = try transfers.map { transfer in
                // A key journaled meanwhile (by another sopd, or twice in this read) inserts nothing: its row is returned.
                var row = transfer
                var claimed = false
                if case .claimed(let claim) = TransferMachine.claim(
                    transfer, by: owner ?? self.owner, now: clock.now(), leaseSeconds: leaseSeconds ?? self.leaseSeconds, probe: probe) {
                    row = claim
                    claimed = true
                }
                guard try row.insertRow(db, unlessJournaled: true) else {
                    guard let journaled = try Self.transfer(db, where: "idempotencyKey", is: .text(transfer.idempotencyKey)) else {
                        throw JournalError("transfer \(transfer.idempotencyKey) was neither inserted nor found")
                    }
                    return Recorded(transfer: journaled, claimed: false)
                }
                if row.state == .dead { tallies.add(row.direction, .dead) }
                return Recorded(transfer: row, claimed: claimed)
            }
            try tallies.store(db)
            return recorded
        }
        held(recorded.filter(\.claimed).compactMap(\.transfer.id))
        return recorded
    }

    /// Adds claims to the ones `renewLeases` keeps.
    private func held(_ ids: [Int64]) {
        guard !ids.isEmpty else { return }
        inFlight.withLock { $0.formUnion(ids) }
    }

    /// Drops claims from the ones `renewLeases` keeps: settled, given back, or failed to settle (their lease then runs
    /// out, and the transfer is taken again under its key).
    private func settled(_ ids: [Int64]) {
        inFlight.withLock { $0.subtract(ids) }
    }

    /// Gives back claims no attempt went out under (`TransferMachine.release`), in one transaction; a transfer no
    /// longer `sending` under `owner` and the claim given (claimed again since) is left as it is.
    public func release(_ claims: [Transfer], owner: String? = nil) throws(JournalError) {
        let fences = Dictionary(claims.compactMap { claim in claim.id.map { ($0, claim.fence) } }, uniquingKeysWith: max)
        guard !fences.isEmpty else { return }
        defer { settled(Array(fences.keys)) }
        try write { db in
            for (id, fence) in fences.sorted(by: { $0.key < $1.key }) {
                guard let transfer = try Self.transfer(db, where: "id", is: .integer(id), locking: true), transfer.state == .sending,
                    transfer.leaseOwner == owner ?? self.owner, transfer.fence == fence, transfer.attempts > 0
                else { continue }
                try TransferMachine.release(transfer, now: clock.now()).storeTransition(db)
            }
        }
    }

    /// The transfer whose unique `column` (`id` or `idempotencyKey`) is `value`, through a statement the
    /// connection compiles once: the transitions of every transfer read their row this way. `locking`: the row is
    /// locked until the write commits (PostgreSQL), for a write that goes on to change it.
    static func transfer(_ db: any JournalConnection, where column: String, is value: JournalValue, locking: Bool = false) throws
        -> Transfer?
    {
        try db.row(
            "SELECT \(Transfer.selectedColumns) FROM transfer WHERE \(column) = ?\(locking ? db.dialect.lockingRows : "")", [value],
            Transfer.init(row:))
    }

    /// Claims the transfer for an attempt (`TransferMachine.claim`) and commits that before anything is sent.
    /// - Returns: The claimed transfer, or nil when another live sopd is sending it, or it is done or dead.
    public func beginAttempt(_ id: Int64, owner: String? = nil, leaseSeconds: Double? = nil)
        throws(JournalError) -> Transfer?
    {
        try beginAttempts([id], owner: owner, leaseSeconds: leaseSeconds)[id]
    }

    /// Claims several transfers in one transaction, as `beginAttempt` claims one. Their rows are selected `FOR UPDATE
    /// SKIP LOCKED` (PostgreSQL): a row another host is claiming at this moment is passed over, not waited for.
    /// - Returns: The transfers claimed, by id; one another live sopd is sending or claiming, or done or dead, or gone,
    ///   is left out.
    public func beginAttempts(_ ids: [Int64], owner: String? = nil, leaseSeconds: Double? = nil)
        throws(JournalError) -> [Int64: Transfer]
    {
        guard !ids.isEmpty else { return [:] }
        let claimed = try write { db in
            var claimed: [Int64: Transfer] = [:]
            let rows = try db.rows(
                """
                SELECT \(Transfer.selectedColumns) FROM transfer WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))
                ORDER BY id\(db.dialect.skippingLockedRows)
                """, ids.map { .integer($0) }, Transfer.init(row:))
            for transfer in rows {
                guard let id = transfer.id else { continue }
                switch TransferMachine.claim(
                    transfer, by: owner ?? self.owner, now: clock.now(), leaseSeconds: leaseSeconds ?? self.leaseSeconds, probe: probe) {
                case .claimed(let transfer):
                    try transfer.storeTransition(db)
                    claimed[id] = transfer
                case .refused:
                    continue
                }
            }
            return claimed
        }
        held(Array(claimed.keys))
        return claimed
    }

    /// A delivered transfer, for `complete(_:)`.
    public struct Completion: Sendable {
        /// The transfer.
        public var id: Int64
        /// The peer's id for it.
        public var remoteId: String?
        /// The HTTP status of the peer's answer.
        public var status: Int?
        /// The attempt, for the history.
        public var attempt: AttemptLog?
        /// The fencing token of the claim the attempt went out under (`Transfer.fence`); nil records it whatever the claim.
        public var fence: Int64?

        /// Creates a completion.
        public init(id: Int64, remoteId: String?, status: Int?, attempt: AttemptLog?, fence: Int64? = nil) {
            self.id = id
            self.remoteId = remoteId
            self.status = status
            self.attempt = attempt
            self.fence = fence
        }
    }

    /// Records a delivered transfer, the peer's id for it, and the attempt.
    /// - Parameter fence: The fencing token of the claim the attempt went out under; a newer claim refuses the outcome
    ///   (`JournalError.fenced`). nil records it whatever the claim.
    @discardableResult
    public func complete(_ id: Int64, remoteId: String?, status: Int?, attempt: AttemptLog? = nil, fence: Int64? = nil)
        throws(JournalError) -> Transfer
    {
        try settleAlone(id, fence: fence, attempt: attempt, status: status, Self.completion(remoteId: remoteId, status: status))
    }

    /// Records several delivered transfers in one transaction, as `complete(_:remoteId:status:attempt:)` records
    /// one. When that transaction fails, each is recorded on its own, so one that cannot be does not hold back the others.
    /// - Returns: The ones that could not be recorded, with why.
    @discardableResult
    public func complete(_ completions: [Completion]) -> [Int64: JournalError] {
        guard !completions.isEmpty else { return [:] }
        defer { settled(completions.map(\.id)) }
        do {
            try write { db in
                var tallies = TallyIncrements()
                for completion in completions.sorted(by: { $0.id < $1.id }) {
                    try settle(
                        db, completion.id, fence: completion.fence, attempt: completion.attempt, status: completion.status,
                        tallies: &tallies, Self.completion(remoteId: completion.remoteId, status: completion.status))
                }
                try tallies.store(db)
            }
            return [:]
        } catch {
            var failed: [Int64: JournalError] = [:]
            for completion in completions {
                do {
                    try complete(
                        completion.id, remoteId: completion.remoteId, status: completion.status, attempt: completion.attempt,
                        fence: completion.fence)
                } catch {
                    failed[completion.id] = error
                }
            }
            return failed
        }
    }

    private static func completion(remoteId: String?, status: Int?) -> (Transfer, Date) throws(TransitionError) -> Transfer {
        { transfer, now throws(TransitionError) in try TransferMachine.complete(transfer, remoteId: remoteId, status: status, now: now) }
    }

    /// Records a failed attempt: the transfer waits for its retry, or is dead.
    /// - Parameters:
    ///   - reason: Why it failed, already free of secrets.
    ///   - status: The HTTP status, if there was an answer.
    ///   - remoteId: The peer's id, when the failure came after the peer accepted the document.
    ///   - disposition: When to try again, or dead.
    ///   - attempt: The attempt, for the history.
    ///   - fence: The fencing token of the claim the attempt went out under; a newer claim refuses the outcome
    ///     (`JournalError.fenced`). nil records it whatever the claim.
    @discardableResult
    public func fail(
        _ id: Int64, reason: String, status: Int?, remoteId: String? = nil, disposition: FailureDisposition,
        attempt: AttemptLog? = nil, fence: Int64? = nil
    ) throws(JournalError) -> Transfer {
        try settleAlone(id, fence: fence, attempt: attempt, status: status) { transfer, now throws(TransitionError) in
            try TransferMachine.fail(transfer, reason: reason, status: status, remoteId: remoteId, disposition: disposition, now: now)
        }
    }

    /// Puts failed or dead transfers back to pending, due now, as `sopd journal retry` does.
    /// - Returns: The ids moved.
    @discardableResult
    public func retry(_ ids: [Int64]) throws(JournalError) -> [Int64] {
        try write { db in
            var moved: [Int64] = []
            for id in ids.sorted() {
                guard let transfer = try Self.transfer(db, where: "id", is: .integer(id), locking: true),
                    let pending = TransferMachine.operatorRetry(transfer, now: clock.now())
                else { continue }
                try pending.storeTransition(db)
                moved.append(id)
            }
            return moved
        }
    }

    /// Settles one transfer (`settle`) in a write of its own; its claim is no longer renewed, recorded or not.
    private func settleAlone(
        _ id: Int64, fence: Int64?, attempt: AttemptLog?, status: Int?, _ transition: (Transfer, Date) throws(TransitionError) -> Transfer
    ) throws(JournalError) -> Transfer {
        defer { settled([id]) }
        return try write { db in
            var tallies = TallyIncrements()
            let settled = try settle(db, id, fence: fence, attempt: attempt, status: status, tallies: &tallies, transition)
            try tallies.store(db)
            return settled
        }
    }

    /// Ends an attempt with `transition`'s outcome and keeps the attempt in the history, within a write; refused when
    /// the transfer was claimed again after claim `fence` (`TransferMachine.checkFence`).
    @discardableResult
    private func settle(
        _ db: any JournalConnection, _ id: Int64, fence: Int64?, attempt: AttemptLog?, status: Int?, tallies: inout TallyIncrements,
        _ transition: (Transfer, Date) throws(TransitionError) -> Transfer
    ) throws -> Transfer {
        guard let transfer = try Self.transfer(db, where: "id", is: .integer(id), locking: true) else {
            throw JournalError("transfer \(id) does not exist")
        }
        if let fence { try TransferMachine.checkFence(transfer, claim: fence) }
        let settled = try transition(transfer, clock.now())
        try settled.storeTransition(db)
        if let outcome = TransferOutcome(settledIn: settled.state) { tallies.add(settled.direction, outcome) }
        if let attempt {
            var record = TransferMachine.attempt(of: settled, by: transfer.leaseOwner, log: attempt, status: status)
            try record.insertRow(db)
        }
        return settled
    }

    /// Journals that the attempt under claim `transfer.fence` is about to send a create to a back office that keeps no
    /// idempotency keys, before it is sent: the next attempt then knows one may have landed and waits for the lookup to
    /// see it (`HTTPMappingAdapter`, `outbound.settleSeconds`). Refused when the transfer was claimed again since (`JournalError.fenced`): the create
    /// must then not go out.
    /// - Returns: The transfer as journaled now.
    @discardableResult
    public func markCreateSent(_ transfer: Transfer) throws(JournalError) -> Transfer {
        guard let id = transfer.id else { throw JournalError("a transfer without id cannot send a create") }
        return try write { db in
            guard var current = try Self.transfer(db, where: "id", is: .integer(id), locking: true) else {
                throw JournalError("transfer \(id) does not exist")
            }
            try TransferMachine.checkFence(current, claim: transfer.fence)
            current.createSentAt = clock.now()
            try db.execute("UPDATE transfer SET createSentAt = ? WHERE id = ?", [.date(current.createSentAt), .integer(id)])
            return current
        }
    }

    /// Replaces the payload of a transfer journaled without one (an order that could not be mapped when
    /// it was read, mapped now); a payload once set is never replaced.
    public func replacePayload(_ id: Int64, with payload: String) throws(JournalError) {
        try write { db in try db.execute("UPDATE transfer SET payload = ? WHERE id = ? AND payload = ''", [.text(payload), .integer(id)]) }
    }

    /// Marks one outbound transfer's version as returned to the salesperson, so that the order's
    /// next submission is a new version.
    public func markReturned(transferId: Int64) throws(JournalError) {
        try write { db in
            try db.execute(
                "UPDATE transfer SET returnedAt = ? WHERE id = ? AND returnedAt IS NULL", [.date(clock.now()), .integer(transferId)])
        }
    }

    /// Marks the delivered version the back office knows as `remoteId` as returned (rejected or deleted there).
    public func markReturned(remoteId: String) throws(JournalError) {
        try write { db in
            try db.execute(
                "UPDATE transfer SET returnedAt = ? WHERE direction = ? AND remoteId = ? AND returnedAt IS NULL",
                [.date(clock.now()), .text(TransferDirection.outbound.rawValue), .text(remoteId)])
        }
    }

    /// Counts one more write conflict (HTTP 412) met and resolved by re-reading.
    public func recordConflict(_ id: Int64) throws(JournalError) {
        try write { db in try db.execute("UPDATE transfer SET conflicts = conflicts + 1 WHERE id = ?", [.integer(id)]) }
    }
}
