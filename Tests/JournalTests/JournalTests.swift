import Foundation
import Journal
import SopdTestSupport
import Testing

@Suite struct JournalTests {
    private func newTransfer(key: String = "out:1:2026-11-27T00:00:00Z") -> Transfer {
        Transfer(direction: .outbound, orderId: "1", orderNumber: "SO-00001", idempotencyKey: key, payload: "{}")
    }

    @Test func transferStatesMoveOnlyAlongTheStateMachine() {
        #expect(TransferState.pending.canMove(to: .sending))
        #expect(TransferState.sending.canMove(to: .done))
        #expect(TransferState.sending.canMove(to: .failed))
        #expect(TransferState.failed.canMove(to: .sending))
        #expect(TransferState.sending.canMove(to: .sending))
        #expect(!TransferState.done.canMove(to: .sending))
        #expect(!TransferState.pending.canMove(to: .done))
        #expect(!TransferState.failed.canMove(to: .done))
    }

    @Test func oneKeyIsJournaledOnce() throws {
        let journal = try Journal(path: TemporaryDirectory().file("journal.sqlite"))
        let first = try journal.record(newTransfer())
        let again = try journal.record(newTransfer())
        #expect(first.id != nil)
        #expect(again.id == first.id)
        #expect(try journal.countsByState() == [.pending: 1])
    }

    @Test func attemptsAndOutcomesAreDurable() throws {
        let path = try TemporaryDirectory().file("journal.sqlite")
        do {
            let journal = try Journal(path: path)
            let id = try #require(try journal.record(newTransfer()).id)
            #expect(try journal.beginAttempt(id).attempts == 1)
            _ = try journal.fail(id, reason: "back office: could not connect", status: nil)
            #expect(try journal.beginAttempt(id).attempts == 2)
            _ = try journal.complete(id, remoteId: "BO-000001", status: 201)
        }
        let reopened = try Journal(path: path)
        let transfer = try #require(try reopened.transfer(idempotencyKey: newTransfer().idempotencyKey))
        #expect(transfer.state == .done)
        #expect(transfer.attempts == 2)
        #expect(transfer.remoteId == "BO-000001")
        #expect(transfer.lastError == nil)
    }

    @Test func refusesToResendADoneTransfer() throws {
        let journal = try Journal(path: TemporaryDirectory().file("journal.sqlite"))
        let id = try #require(try journal.record(newTransfer()).id)
        _ = try journal.beginAttempt(id)
        _ = try journal.complete(id, remoteId: "BO-1", status: 201)
        let error = #expect(throws: JournalError.self) { try journal.beginAttempt(id) }
        #expect(error?.description.contains("cannot go from done to sending") == true)
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

    @Test func anUnwritableLocationIsAClearError() {
        let error = #expect(throws: JournalError.self) { try Journal(path: "/proc/sopd/journal.sqlite") }
        #expect(error?.description.contains("/proc/sopd") == true)
    }
}
