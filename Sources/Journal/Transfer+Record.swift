import Foundation
import Transfers

/// A transfer is a row of the `transfer` table, written and read here rather than through a coder (every transition
/// of every order stores one): its columns selected in one order (`columns`) and read by position, its writes through
/// SQL each backend compiles once per connection.
extension Transfer {
    /// Every column, in the order rows are selected, read and inserted.
    static let columns = [
        "id", "direction", "orderId", "orderNumber", "idempotencyKey", "payload", "state", "attempts", "lastError", "lastStatus",
        "remoteId", "sequence", "nextAttemptAt", "leaseOwner", "leaseUntil", "returnedAt", "conflicts", "horizonStart",
        "createdAt", "updatedAt", "fence", "createSentAt",
    ]

    /// `columns` as a select list.
    static let selectedColumns = columns.joined(separator: ", ")

    /// Reads a row selected as `columns`, by position.
    init(row: any JournalRow) throws {
        let id = try row.integer(0) ?? 0
        guard let direction = try row.text(1).flatMap(TransferDirection.init), let state = try row.text(6).flatMap(TransferState.init)
        else {
            throw JournalError("transfer \(id) has an unknown direction or state ('\(try row.text(1) ?? "")', '\(try row.text(6) ?? "")')")
        }
        guard let createdAt = try row.date(18), let updatedAt = try row.date(19) else {
            throw JournalError("transfer \(id) has no valid createdAt or updatedAt")
        }
        self.init(
            direction: direction, orderId: try row.required(row.text(2), 2, "orderId"),
            orderNumber: try row.required(row.text(3), 3, "orderNumber"), idempotencyKey: try row.required(row.text(4), 4, "idempotencyKey"),
            payload: try row.required(row.text(5), 5, "payload"), sequence: try row.int(11), now: createdAt)
        self.id = id
        self.state = state
        attempts = try row.int(7) ?? 0
        lastError = try row.text(8)
        lastStatus = try row.int(9)
        remoteId = try row.text(10)
        nextAttemptAt = try row.date(12)
        leaseOwner = try row.text(13)
        leaseUntil = try row.date(14)
        returnedAt = try row.date(15)
        conflicts = try row.int(16) ?? 0
        horizonStart = try row.date(17)
        self.updatedAt = updatedAt
        fence = try row.integer(20) ?? 0
        createSentAt = try row.date(21)
    }

    private static let insertions: [Bool: [Bool: String]] = [true: statements(withId: true), false: statements(withId: false)]

    private static func statements(withId: Bool) -> [Bool: String] {
        let inserted = withId ? columns : Array(columns.dropFirst())
        let insert = "INSERT INTO transfer (\(inserted.joined(separator: ", "))) VALUES (\(inserted.map { _ in "?" }.joined(separator: ", ")))"
        return [false: insert, true: insert + " ON CONFLICT (idempotencyKey) DO NOTHING"]
    }

    /// Inserts the transfer as a new row (under its id when it has one) and keeps its id. `unlessJournaled`: a row with
    /// its idempotency key inserts nothing and answers false, instead of failing.
    @discardableResult
    mutating func insertRow(_ db: any JournalConnection, unlessJournaled: Bool = false) throws -> Bool {
        var values: [JournalValue] = [
            .text(direction.rawValue), .text(orderId), .text(orderNumber), .text(idempotencyKey), .text(payload), .text(state.rawValue),
            .integer(attempts), .text(lastError), .integer(lastStatus), .text(remoteId), .integer(sequence), .date(nextAttemptAt),
            .text(leaseOwner), .date(leaseUntil), .date(returnedAt), .integer(conflicts), .date(horizonStart), .date(createdAt),
            .date(updatedAt), .integer(fence), .date(createSentAt),
        ]
        if let id { values.insert(.integer(id), at: 0) }
        guard let newId = try db.insert(Self.insertions[id != nil]![unlessJournaled]!, values) else { return false }
        id = newId
        return true
    }

    /// Stores what a `TransferMachine` transition changes: the state, the attempts, the last answer, the retry time,
    /// the lease and its fence, the give-up horizon and the time of the change. The rest of a row is written once, or apart.
    func storeTransition(_ db: any JournalConnection) throws {
        guard let id else { throw JournalError("a transfer without id cannot change") }
        try db.execute(
            """
            UPDATE transfer SET state = ?, attempts = ?, lastError = ?, lastStatus = ?, remoteId = ?, nextAttemptAt = ?,
                leaseOwner = ?, leaseUntil = ?, horizonStart = ?, updatedAt = ?, fence = ?
            WHERE id = ?
            """,
            [
                .text(state.rawValue), .integer(attempts), .text(lastError), .integer(lastStatus), .text(remoteId), .date(nextAttemptAt),
                .text(leaseOwner), .date(leaseUntil), .date(horizonStart), .date(updatedAt), .integer(fence), .integer(id),
            ])
    }
}
