import Foundation
import Testing
import Transfers

/// The transitions of a transfer, without SQLite, sockets or sleeps.
@Suite struct TransferMachineTests {
    private let probe = TableProbe(alive: [41])

    private func claimed(_ transfer: Transfer, by owner: String = "here:41", at now: Date = start) -> Transfer? {
        if case .claimed(let claimed) = TransferMachine.claim(transfer, by: owner, now: now, leaseSeconds: 300, probe: probe) {
            return claimed
        }
        return nil
    }

    @Test func aClaimTakesALeaseAndCountsAnAttempt() throws {
        let claim = try #require(claimed(transfer(.pending), at: start.addingTimeInterval(5)))
        #expect(claim.state == .sending)
        #expect(claim.attempts == 1)
        #expect(claim.leaseOwner == "here:41")
        #expect(claim.leaseUntil == start.addingTimeInterval(305))
        #expect(claim.updatedAt == start.addingTimeInterval(5))
    }

    @Test func deliveredDeadAndLeasedTransfersAreNotClaimed() {
        #expect(claimed(transfer(.done)) == nil)
        #expect(claimed(transfer(.dead)) == nil)
        let held = transfer(.sending, attempts: 1, leaseOwner: "here:41")
        #expect(
            TransferMachine.claim(held, by: "here:43", now: start, leaseSeconds: 300, probe: probe)
                == .refused(.leased(owner: "here:41")))
        #expect(claimed(held, by: "here:41")?.attempts == 2, "the holder itself takes it again")
    }

    @Test func aCrashedSendersTransferIsTakenOverWithTheSameKey() throws {
        let orphan = transfer(.sending, attempts: 1, leaseOwner: "here:42", leaseUntil: start.addingTimeInterval(300))
        let taken = try #require(claimed(orphan, by: "here:41"))
        #expect(taken.attempts == 2)
        #expect(taken.idempotencyKey == orphan.idempotencyKey)
        #expect(taken.leaseOwner == "here:41")
    }

    @Test func aDriverMayClaimBeforeTheBackoffEnds() {
        let failed = transfer(.failed, attempts: 1, nextAttemptAt: start.addingTimeInterval(60))
        #expect(claimed(failed)?.attempts == 2)
    }

    @Test func completingReleasesTheLeaseAndKeepsThePeersId() throws {
        let sending = try #require(claimed(transfer(.pending)))
        let done = try TransferMachine.complete(sending, remoteId: "BO-000001", status: 201, now: start.addingTimeInterval(1))
        #expect(done.state == .done)
        #expect(done.remoteId == "BO-000001")
        #expect(done.lastStatus == 201)
        #expect(done.leaseOwner == nil && done.leaseUntil == nil)
        #expect(done.updatedAt == start.addingTimeInterval(1))
    }

    @Test func aClaimNoAttemptWentOutUnderIsGivenBack() throws {
        let sending = try #require(claimed(transfer(.pending)))
        let released = try TransferMachine.release(sending, now: start.addingTimeInterval(2))
        #expect(released.state == .pending && released.attempts == 0)
        #expect(released.leaseOwner == nil && released.leaseUntil == nil)
        #expect(released.updatedAt == start.addingTimeInterval(2))
        #expect(throws: TransitionError.self) { try TransferMachine.release(transfer(.done, attempts: 1), now: start) }
        #expect(throws: TransitionError.self, "no claim counted") { try TransferMachine.release(transfer(.sending), now: start) }
    }

    @Test func failingFollowsTheDisposition() throws {
        let sending = try #require(claimed(transfer(.pending)))
        let retryAt = start.addingTimeInterval(8)
        let failed = try TransferMachine.fail(
            sending, reason: "server error", status: 503, remoteId: nil, disposition: .retry(at: retryAt), now: start)
        #expect(failed.state == .failed)
        #expect(failed.nextAttemptAt == retryAt)
        #expect(failed.lastError == "server error" && failed.lastStatus == 503)
        let dead = try TransferMachine.fail(
            sending, reason: "refused", status: 422, remoteId: "BO-9", disposition: .dead, now: start)
        #expect(dead.state == .dead)
        #expect(dead.nextAttemptAt == nil)
        #expect(dead.remoteId == "BO-9")
    }

    @Test func onlyASendingTransferSettles() {
        #expect(throws: TransitionError.self) {
            try TransferMachine.complete(transfer(.pending), remoteId: nil, status: nil, now: start)
        }
        #expect(throws: TransitionError.self) {
            try TransferMachine.fail(transfer(.done), reason: "x", status: nil, remoteId: nil, disposition: .dead, now: start)
        }
    }

    @Test func anOperatorRetryPutsFailedAndDeadBackAndNothingElse() {
        let dead = TransferMachine.operatorRetry(transfer(.dead, attempts: 10), now: start)
        #expect(dead?.state == .pending)
        #expect(dead?.attempts == 10, "the history stays")
        let failed = TransferMachine.operatorRetry(transfer(.failed, nextAttemptAt: start.addingTimeInterval(60)), now: start)
        #expect(failed?.nextAttemptAt == nil, "due now")
        #expect(TransferMachine.operatorRetry(transfer(.done), now: start) == nil)
        #expect(TransferMachine.operatorRetry(transfer(.sending), now: start) == nil)
    }

    @Test func theAttemptRowCarriesTheAttemptNumberItsSenderAndItsClaim() throws {
        let sending = try #require(claimed(transfer(.failed, attempts: 2)))
        let row = TransferMachine.attempt(
            of: sending, by: sending.leaseOwner,
            log: AttemptLog(startedAt: start, durationMs: 12, outcome: "ok", excerpt: String(repeating: "x", count: 900)), status: 201)
        #expect(row.number == 3)
        #expect(row.transferId == 7)
        #expect(row.excerpt?.count == AttemptLog.excerptLimit)
        #expect(row.owner == sending.leaseOwner && row.owner != nil)
        #expect(row.fence == sending.fence)
    }

    @Test func everyClaimTakesANewFenceAndAnOutcomeUnderAnOlderOneIsRefused() throws {
        let first = try #require(claimed(transfer(.pending)))
        var expired = first
        expired.leaseUntil = start.addingTimeInterval(-1)
        expired.leaseOwner = "elsewhere:9"
        guard case .claimed(let second) = TransferMachine.claim(expired, by: "here:42", now: start, leaseSeconds: 60, probe: TableProbe())
        else {
            Issue.record("a lease that ran out is taken over")
            return
        }
        #expect(first.fence == 1 && second.fence == 2)
        #expect(throws: Never.self) { try TransferMachine.checkFence(second, claim: 2) }
        let refused = #expect(throws: TransitionError.self) { try TransferMachine.checkFence(second, claim: 1) }
        #expect(refused?.fenced == true)
        #expect(refused?.message.contains("claim 2 by here:42") == true)
    }

    @Test func aWorkLeaseIsRenewedByItsHolderAndTakenOverOnlyOnceItRanOut() throws {
        let held = try #require(WorkLease.claim(nil, name: "feed", by: "a:1", now: start, seconds: 10, probe: TableProbe()))
        #expect(held.fence == 1 && held.until == start.addingTimeInterval(10))
        #expect(WorkLease.claim(held, name: "feed", by: "b:2", now: start.addingTimeInterval(9), seconds: 10, probe: TableProbe()) == nil)
        let renewed = try #require(WorkLease.claim(held, name: "feed", by: "a:1", now: start.addingTimeInterval(9), seconds: 10, probe: TableProbe()))
        #expect(renewed.fence == 1 && renewed.until == start.addingTimeInterval(19), "its holder renews it under the same token")
        let taken = try #require(WorkLease.claim(renewed, name: "feed", by: "b:2", now: start.addingTimeInterval(20), seconds: 10, probe: TableProbe()))
        #expect(taken.owner == "b:2" && taken.fence == 2, "taken over under a new token")
    }
}
