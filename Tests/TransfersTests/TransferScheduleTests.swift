import Foundation
import Testing
import Transfers

/// When a transfer is due, and why it waits: the one rule the journal's due list, the claim and both
/// pipelines share.
@Suite struct TransferScheduleTests {
    private let probe = TableProbe(alive: [41])

    @Test func pendingIsDueAndDoneOrDeadNeverAre() {
        #expect(TransferSchedule.waitReason(transfer(.pending), now: start, probe: probe) == nil)
        var done = transfer(.done)
        done.remoteId = "BO-000001"
        #expect(TransferSchedule.waitReason(done, now: start, probe: probe) == .delivered(remoteId: "BO-000001"))
        #expect(
            TransferSchedule.waitReason(transfer(.dead, attempts: 3), now: .distantFuture, probe: probe)
                == .dead(id: 7, attempts: 3, lastError: "back office: server error (HTTP 503)"))
    }

    @Test func aFailedTransferWaitsForItsRetryTimeAndNotASecondLonger() {
        let retryAt = start.addingTimeInterval(30)
        let failed = transfer(.failed, attempts: 1, nextAttemptAt: retryAt)
        #expect(
            TransferSchedule.waitReason(failed, now: start.addingTimeInterval(29.999), probe: probe)
                == .retryLater(at: retryAt, lastError: "back office: server error (HTTP 503)"))
        #expect(TransferSchedule.waitReason(failed, now: retryAt, probe: probe) == nil)
        #expect(TransferSchedule.waitReason(transfer(.failed, attempts: 1), now: start, probe: probe) == nil, "no time: due")
    }

    @Test func aReturnedVersionWaitsForANewSubmission() {
        var returned = transfer(.failed, nextAttemptAt: nil)
        returned.returnedAt = start
        #expect(TransferSchedule.waitReason(returned, now: start, probe: probe) == .returned)
    }

    @Test func aLiveLocalHolderKeepsItsLeaseAndAGoneOneLosesIt() {
        let held = transfer(.sending, attempts: 1, leaseOwner: "here:41", leaseUntil: start.addingTimeInterval(-1))
        #expect(TransferSchedule.waitReason(held, now: start, probe: probe) == .leased(owner: "here:41"), "alive beats an ended lease")
        #expect(TransferSchedule.waitReason(held, now: start, claimant: "here:41", probe: probe) == nil, "its own lease")
        let orphan = transfer(.sending, attempts: 1, leaseOwner: "here:42", leaseUntil: start.addingTimeInterval(300))
        #expect(TransferSchedule.waitReason(orphan, now: start, probe: probe) == nil, "a gone process loses it at once")
    }

    @Test func anotherHostsLeaseHoldsUntilItEnds() {
        let until = start.addingTimeInterval(300)
        let remote = transfer(.sending, attempts: 1, leaseOwner: "there:41", leaseUntil: until)
        #expect(TransferSchedule.waitReason(remote, now: until.addingTimeInterval(-1), probe: probe) == .leased(owner: "there:41"))
        #expect(TransferSchedule.waitReason(remote, now: until, probe: probe) == nil)
        let unreadable = transfer(.sending, attempts: 1, leaseOwner: "no pid", leaseUntil: until)
        #expect(TransferSchedule.waitReason(unreadable, now: start, probe: probe) == nil, "an owner that names no process holds nothing")
    }

    @Test func theReasonsReadAsTheyAlwaysHave() {
        #expect(
            WaitReason.dead(id: 7, attempts: 3, lastError: "refused").description
                == "dead after 3 attempt(s): refused; sopd journal retry 7")
        #expect(
            WaitReason.retryLater(at: start, lastError: "HTTP 503").description
                == "failed (HTTP 503); next attempt at 2027-01-15T08:00:00Z")
        #expect(WaitReason.delivered(remoteId: "BO-1").description == "already delivered as BO-1 (journal); not sent again")
        #expect(WaitReason.leased(owner: "h:1").description.hasPrefix("being sent by another sopd process"))
    }
}
