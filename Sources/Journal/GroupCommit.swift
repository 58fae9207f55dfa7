import Foundation
import GRDB

/// Group commit: writes that arrive from many threads while one transaction commits are run together in
/// the next one, so a burst of transitions costs one WAL sync instead of one each. Every write runs in
/// its own savepoint, so a write that throws rolls back only itself; a write returns only once the
/// transaction holding it has committed, so what it wrote is as durable as a transaction of its own.
final class GroupCommit: @unchecked Sendable {
    private final class Slot {
        /// Dropped before the write is marked done: the caller's closure must not outlive its call.
        var body: ((Database) throws -> Void)?
        var error: (any Error)?
        var done = false

        init(_ body: @escaping (Database) throws -> Void) { self.body = body }
    }

    private let database: DatabasePool
    private let condition = NSCondition()
    private var pending: [Slot] = []
    private var committing = false
    private var committedWrites = 0

    init(_ database: DatabasePool) {
        self.database = database
    }

    /// Runs `body` in the next shared transaction and returns after that transaction committed.
    /// - Throws: What `body` threw, or the error that failed the whole transaction.
    func write(_ body: (Database) throws -> Void) throws {
        try withoutActuallyEscaping(body) { body in
            let slot = Slot(body)
            condition.lock()
            pending.append(slot)
            while !slot.done {
                if committing {
                    condition.wait()
                    continue
                }
                committing = true
                let group = pending
                pending = []
                condition.unlock()
                commit(group)
                condition.lock()
                committing = false
                condition.broadcast()
            }
            condition.unlock()
            if let error = slot.error { throw error }
        }
    }

    /// The writes committed so far.
    var committed: Int {
        condition.lock()
        defer { condition.unlock() }
        return committedWrites
    }

    private func commit(_ group: [Slot]) {
        do {
            try database.write { db in
                for slot in group {
                    do {
                        try db.inSavepoint {
                            try slot.body?(db)
                            return .commit
                        }
                    } catch {
                        slot.error = error
                    }
                }
            }
        } catch {
            for slot in group where slot.error == nil { slot.error = error }
        }
        condition.lock()
        for slot in group {
            slot.body = nil
            slot.done = true
            if slot.error == nil { committedWrites += 1 }
        }
        condition.unlock()
    }
}
