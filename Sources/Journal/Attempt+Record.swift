import Transfers

/// An attempt is a row of the `attempt` table, read by position (`columns`), written by `insertRow`.
extension Attempt {
    /// Every column, in the order rows are selected and read.
    static let selectedColumns = "id, transferId, number, startedAt, durationMs, status, outcome, excerpt, owner, fence"

    /// Reads a row selected as `selectedColumns`.
    init(row: any JournalRow) throws {
        let id = try row.integer(0) ?? 0
        guard let startedAt = try row.date(3) else { throw JournalError("attempt \(id) has no valid startedAt") }
        self.init(
            transferId: try row.required(row.integer(1), 1, "transferId"), number: try row.int(2) ?? 0, startedAt: startedAt,
            durationMs: try row.int(4) ?? 0, status: try row.int(5), outcome: try row.text(6) ?? "", excerpt: try row.text(7),
            owner: try row.text(8), fence: try row.integer(9))
        self.id = id
    }

    /// Inserts the attempt as a new row and keeps its id.
    mutating func insertRow(_ db: any JournalConnection) throws {
        id = try db.insert(
            "INSERT INTO attempt (transferId, number, startedAt, durationMs, status, outcome, excerpt, owner, fence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                .integer(transferId), .integer(number), .date(startedAt), .integer(durationMs), .integer(status), .text(outcome),
                .text(excerpt), .text(owner), .integer(fence),
            ])
    }
}
