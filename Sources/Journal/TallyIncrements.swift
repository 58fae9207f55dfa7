import Transfers

/// The tallies one write adds to, stored at its end in one order: two PostgreSQL transactions that lock the same
/// tally rows in different orders would deadlock.
struct TallyIncrements {
    private var counts: [String: (TransferDirection, TransferOutcome, Int)] = [:]

    /// Counts one more attempt of `direction` that ended in `outcome`.
    mutating func add(_ direction: TransferDirection, _ outcome: TransferOutcome) {
        counts["\(direction.rawValue) \(outcome.rawValue)", default: (direction, outcome, 0)].2 += 1
    }

    /// Adds the counts to the `tally` table, inside the write that made them.
    func store(_ db: any JournalConnection) throws {
        for key in counts.keys.sorted() {
            guard let (direction, outcome, count) = counts[key] else { continue }
            try db.execute(
                "INSERT INTO tally (direction, outcome, count) VALUES (?, ?, ?) ON CONFLICT (direction, outcome) DO UPDATE SET count = tally.count + excluded.count",
                [.text(direction.rawValue), .text(outcome.rawValue), .integer(count)])
        }
    }
}
