import Foundation
import GRDB
@testable import Journal
import SopdTestSupport
import Testing
import Transfers

@Suite struct JournalTests {
    private func newTransfer(key: String = "out:1:2026-11-27T00:00:00Z") -> Transfer {
        Transfer(direction: .outbound, orderId: "1", orderNumber: "SO-00001", idempotencyKey: key, payload: "{}", now: Date())
    }

    private func log(_ outcome: String) -> AttemptLog {
        .init(startedAt: Date(), durationMs: 3, outcome: outcome, excerpt: "excerpt of \(outcome)")
    }

    @Test func transferStatesMoveOnlyAlongTheStateMachine() {
        #expect(TransferState.pending.canMove(to: .sending))
        #expect(TransferState.sending.canMove(to: .done))
        #expect(TransferState.sending.canMove(to: .failed))
        #expect(TransferState.sending.canMove(to: .dead))
        #expect(TransferState.failed.canMove(to: .sending))
        #expect(TransferState.sending.canMove(to: .sending))
        #expect(TransferState.dead.canMove(to: .pending))
        #expect(TransferState.failed.canMove(to: .pending))
        #expect(!TransferState.done.canMove(to: .sending))
        #expect(!TransferState.done.canMove(to: .pending))
        #expect(!TransferState.dead.canMove(to: .sending))
        #expect(!TransferState.pending.canMove(to: .done))
    }

    @Test func datesAreStoredAsGRDBStoresThemAndReadBack() throws {
        for seconds in [0, 1_764_000_000.5, 1_796_169_599.999, 951_782_400.0011, -1.5] {
            let date = Date(timeIntervalSince1970: seconds)
            let text = JournalTime.text(date)
            #expect(text == String.fromDatabaseValue(date.databaseValue), "as GRDB writes \(seconds)")
            let back = try #require(JournalTime.date(text.databaseValue))
            #expect(abs(back.timeIntervalSince1970 - seconds) < 0.001, "\(text) read back")
            let grdb = try #require(Date.fromDatabaseValue(text.databaseValue))
            #expect(abs(back.timeIntervalSince(grdb)) < 0.000_001, "as GRDB reads \(text)")
        }
        #expect(JournalTime.date("2026-12-03 12:00".databaseValue) == Date.fromDatabaseValue("2026-12-03 12:00".databaseValue), "another form, as GRDB reads it")
        #expect(JournalTime.date(DatabaseValue.null) == nil)
    }

    @Test(arguments: JournalBackend.tested) func oneKeyIsJournaledOnce(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        let first = try journal.record(newTransfer())
        let again = try journal.record(newTransfer())
        #expect(first.id != nil)
        #expect(again.id == first.id)
        #expect(try journal.countsByState() == [.pending: 1])
    }

    @Test(arguments: JournalBackend.tested) func aNewTransferIsJournaledAndClaimedInOneWriteAndItsClaimCanBeGivenBack(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        let known = try journal.record(newTransfer(key: "out:known"))
        let recorded = try journal.recordClaimingNew([newTransfer(key: "out:known"), newTransfer(key: "out:new")], owner: "h:1")
        #expect(recorded.map(\.claimed) == [false, true], "only the new one is claimed")
        #expect(recorded[0].transfer.id == known.id && recorded[0].transfer.state == .pending)
        let claimed = recorded[1].transfer
        #expect(claimed.state == .sending && claimed.attempts == 1 && claimed.leaseOwner == "h:1")
        let stored = try #require(try journal.transfer(idempotencyKey: "out:new"))
        #expect(stored.id == claimed.id && stored.state == .sending && stored.attempts == 1, "the claim is what was stored")
        #expect(try journal.recordClaimingNew([newTransfer(key: "out:new")], owner: "h:1").map(\.claimed) == [false], "claimed once")

        try journal.release([claimed], owner: "h:2")
        #expect(try journal.transfer(idempotencyKey: "out:new")?.state == .sending, "another owner's claim is not given back")
        try journal.release([claimed, known], owner: "h:1")
        let released = try #require(try journal.transfer(idempotencyKey: "out:new"))
        #expect(released.state == .pending && released.attempts == 0 && released.leaseOwner == nil && released.leaseUntil == nil)
        let untouched = try #require(try journal.transfer(idempotencyKey: "out:known"))
        #expect(untouched.state == .pending && untouched.attempts == 0, "a transfer not sending is left alone")
        #expect(try journal.beginAttempt(claimed.id!)?.attempts == 1, "the next attempt is the first")
    }

    @Test(arguments: JournalBackend.tested) func attemptsOutcomesAndTheirHistoryAreDurable(backend: JournalBackend) throws {
        let place = try backend.place()
        let retryAt = Date().addingTimeInterval(60)
        do {
            let journal = try place.open()
            let id = try #require(try journal.record(newTransfer()).id)
            #expect(try journal.beginAttempt(id)?.attempts == 1)
            try journal.fail(id, reason: "back office: could not connect", status: nil, disposition: .retry(at: retryAt), attempt: log("retryable: unavailable"))
            #expect(try journal.dueOutbound(now: Date()).isEmpty, "not due before its retry time")
            #expect(try journal.dueOutbound(now: retryAt.addingTimeInterval(1)).count == 1)
            #expect(try journal.beginAttempt(id)?.attempts == 2)
            try journal.complete(id, remoteId: "BO-000001", status: 201, attempt: log("ok"))
        }
        let reopened = try place.open()
        let transfer = try #require(try reopened.transfer(idempotencyKey: newTransfer().idempotencyKey))
        #expect(transfer.state == .done)
        #expect(transfer.attempts == 2)
        #expect(transfer.remoteId == "BO-000001")
        #expect(transfer.lastError == nil)
        let attempts = try reopened.attempts(of: try #require(transfer.id))
        #expect(attempts.map(\.number) == [1, 2])
        #expect(attempts.map(\.outcome) == ["retryable: unavailable", "ok"])
        #expect(attempts.last?.status == 201)
    }

    @Test(arguments: JournalBackend.tested) func deadTransfersWaitForAnOperatorAndRetryPutsThemBack(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        let id = try #require(try journal.record(newTransfer()).id)
        _ = try journal.beginAttempt(id)
        try journal.fail(id, reason: "back office: order refused (HTTP 422)", status: 422, disposition: .dead)
        #expect(try journal.beginAttempt(id) == nil, "a dead transfer is not claimed")
        #expect(try journal.dueOutbound(now: .distantFuture).isEmpty)
        #expect(try journal.retry([id]) == [id])
        #expect(try journal.transfer(id: id)?.state == .pending)
        #expect(try journal.dueOutbound(now: Date()).map(\.id) == [id])
    }

    @Test(arguments: JournalBackend.tested) func aLiveSenderKeepsItsClaimAndADeadOneLosesIt(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        let id = try #require(try journal.record(newTransfer()).id)
        #expect(try journal.beginAttempt(id, owner: Journal.processOwner) != nil)
        let parent = Journal.processOwner.replacingOccurrences(of: ":\(getpid())", with: ":\(getppid())")
        #expect(try journal.beginAttempt(id, owner: parent) == nil, "this process is alive, so another may not take over")
        #expect(try journal.dueOutbound(now: Date()).isEmpty)

        let other = try #require(try journal.record(newTransfer(key: "out:2:x")).id)
        let gone = Journal.processOwner.replacingOccurrences(of: ":\(getpid())", with: ":2147483000")
        #expect(try journal.beginAttempt(other, owner: gone) != nil)
        #expect(try journal.dueOutbound(now: Date()).map(\.id) == [other], "left sending by a process that is gone")
        #expect(try journal.beginAttempt(other)?.attempts == 2, "re-sent with the same key")
    }

    @Test(arguments: JournalBackend.tested) func aTransferThisProcessLeftSendingIsItsToTakeBack(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        let id = try #require(try journal.record(newTransfer()).id)
        let claimed = try #require(try journal.beginAttempt(id))
        #expect(journal.waitReason(claimed, now: Date()) == nil, "an attempt of this process that broke off is due again")
        #expect(try journal.beginAttempt(id)?.attempts == 2)
    }

    @Test(arguments: JournalBackend.tested) func transitionsTakeTheirTimeFromTheInjectedClock(backend: JournalBackend) throws {
        let clock = ManualClock()
        let journal = try backend.place().open(clock: clock)
        let id = try #require(try journal.record(newTransfer()).id)
        let claimed = try #require(try journal.beginAttempt(id, leaseSeconds: 60))
        #expect(claimed.updatedAt == clock.now())
        #expect(claimed.leaseUntil == clock.now().addingTimeInterval(60))
        clock.advance(by: 5)
        let failed = try journal.fail(id, reason: "timed out", status: nil, disposition: .retry(at: clock.now().addingTimeInterval(30)))
        #expect(failed.updatedAt == clock.now())
        clock.advance(by: 29)
        #expect(try journal.dueOutbound(now: clock.now()).isEmpty)
        clock.advance(by: 1)
        #expect(try journal.dueOutbound(now: clock.now()).map(\.id) == [id])
        try journal.setCheckpoint(.outbound)
        #expect(try journal.checkpoint(.outbound) == clock.now())
    }

    @Test(arguments: JournalBackend.tested) func pruningKeepsEverythingButOldDoneTransfers(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        let done = try #require(try journal.record(newTransfer(key: "done")).id)
        _ = try journal.beginAttempt(done)
        try journal.complete(done, remoteId: "BO-1", status: 201, attempt: log("ok"))
        let dead = try #require(try journal.record(newTransfer(key: "dead")).id)
        _ = try journal.beginAttempt(dead)
        try journal.fail(dead, reason: "refused", status: 422, disposition: .dead)
        #expect(try journal.prune(doneBefore: Date().addingTimeInterval(-60)) == 0)
        #expect(try journal.prune(doneBefore: Date().addingTimeInterval(1)) == 1)
        #expect(try journal.transfer(id: done) == nil)
        #expect(try journal.attempts(of: done).isEmpty)
        #expect(try journal.transfer(id: dead)?.state == .dead)
    }

    @Test func transfersDeadByCountBeforeV6AreDueAgainAfterIt() throws {
        let path = try TemporaryDirectory().file("journal.sqlite")
        do {
            let journal = try Journal(path: path)
            for (key, outcome) in [("by-count", "retryable: server error"), ("refused", "permanent: order refused")] {
                let id = try #require(try journal.record(newTransfer(key: key)).id)
                _ = try journal.beginAttempt(id)
                try journal.fail(id, reason: outcome, status: nil, disposition: .dead, attempt: log(outcome))
            }
        }
        let database = try DatabaseQueue(path: path)
        try database.write { db in
            try db.execute(sql: "ALTER TABLE transfer DROP COLUMN horizonStart")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v6:%'")
        }
        try database.close()
        let migrated = try Journal(path: path)
        let revived = try #require(try migrated.transfer(idempotencyKey: "by-count"))
        #expect(revived.state == .failed)
        #expect(revived.horizonStart != nil, "its give-up horizon starts anew")
        #expect(try migrated.transfer(idempotencyKey: "refused")?.state == .dead, "a permanent failure stays dead")
        #expect(try migrated.dueOutbound(now: Date()).map(\.idempotencyKey) == ["by-count"])
    }

    @Test(arguments: JournalBackend.tested) func checkpointsAndCursorsAreKept(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        #expect(try journal.checkpoint(.outbound) == nil)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try journal.setCheckpoint(.outbound, at: at)
        #expect(try journal.checkpoint(.outbound) == at)
        try journal.setCursor("backoffice.changes", to: "42")
        #expect(try journal.cursors().map(\.value) == ["42"])
    }

    @Test func theFileIsReadableByItsOwnerOnlyAndInWALMode() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("state/journal.sqlite")
        let journal = try Journal(path: path)
        _ = try journal.record(newTransfer())
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test(arguments: JournalBackend.tested) func writesFromManyThreadsShareCommitsButFailAlone(backend: JournalBackend) throws {
        let place = try backend.place()
        let journal = try place.open()
        let existing = try #require(try journal.record(newTransfer(key: "existing")).id)
        var clashing = newTransfer(key: "clash")
        clashing.id = existing
        let clash = clashing
        let failures = NSLock()
        nonisolated(unsafe) var failed: [Int] = []
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            do {
                if index == 20 {
                    try journal.record([newTransfer(key: "before-clash"), clash], cursorName: "feed", cursor: "v2")
                } else {
                    let id = try journal.record(newTransfer(key: "key-\(index)")).id!
                    _ = try journal.beginAttempt(id)
                    try journal.complete(id, remoteId: "BO-\(index)", status: 201)
                }
            } catch {
                failures.withLock { failed.append(index) }
            }
        }
        #expect(failed == [20], "only the write that broke a constraint fails")
        let reopened = try place.open()
        #expect(try reopened.countsByState() == [.done: 39, .pending: 1])
        #expect(try reopened.transfer(idempotencyKey: "before-clash") == nil, "the failed write is rolled back whole")
        #expect(try reopened.cursor("feed") == nil)
    }

    @Test func anUnwritableLocationIsAClearError() {
        let error = #expect(throws: JournalError.self) { try Journal(path: "/proc/sopd/journal.sqlite") }
        #expect(error?.description.contains("/proc/sopd") == true)
    }
}
