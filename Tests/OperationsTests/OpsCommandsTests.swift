import Daemon
import Foundation
import Journal
@testable import Operations
import SopdTestSupport
import Testing
import Transfers

/// `sopd journal …` and `sopd status` on a journal, without network.
@Suite struct OpsCommandsTests {
    private func journal() throws -> Journal {
        let journal = try Journal(path: TemporaryDirectory().file("journal.sqlite"))
        for (number, outcome) in [(1, "done"), (2, "dead"), (3, "failed")] {
            let transfer = Transfer(
                direction: .outbound, orderId: "id-\(number)", orderNumber: "SO-0000\(number)", idempotencyKey: "out:\(number)",
                payload: #"{"orderNumber":"SO-0000\#(number)","submittedAt":"2026-11-27T09:00:00Z"}"#, now: Date())
            let id = try journal.record(transfer).id!
            _ = try journal.beginAttempt(id)
            let log = AttemptLog(startedAt: Date(), durationMs: 12, outcome: outcome == "done" ? "ok" : "retryable: server error")
            switch outcome {
            case "done": try journal.complete(id, remoteId: "BO-00000\(number)", status: 201, attempt: log)
            case "dead": try journal.fail(id, reason: "back office: order refused (HTTP 422)", status: 422, disposition: .dead, attempt: log)
            default:
                try journal.fail(
                    id, reason: "back office: server error (HTTP 503)", status: 503, disposition: .retry(at: Date().addingTimeInterval(90)),
                    attempt: log)
            }
        }
        return journal
    }

    @Test func listFiltersAndShowsWhatIsStuckAndWhy() throws {
        let ops = JournalOps(journal: try journal())
        let all = try ops.list(TransferFilter(), json: false)
        #expect(all.hasPrefix("ID  DIR  ORDER     STATE   ATTEMPTS  UPDATED  DETAIL"))
        #expect(all.contains("SO-00001  done    1"))
        #expect(all.contains("back office id BO-000001"))
        #expect(all.contains("back office: server error (HTTP 503) (next attempt in 1m"))
        let dead = try ops.list(TransferFilter(state: .dead), json: false)
        #expect(dead.split(separator: "\n").count == 2)
        #expect(dead.contains("order refused (HTTP 422)"))
        #expect(try ops.list(TransferFilter(orderNumber: "SO-00003"), json: true).contains(#""state":"failed""#))
        #expect(try ops.list(TransferFilter(state: .pending), json: false) == "no transfers match")
    }

    @Test func showHasThePayloadAndEveryAttempt() throws {
        let ops = JournalOps(journal: try journal())
        let text = try ops.show(2, json: false)
        #expect(text.contains("transfer 2: out to the back office, order SO-00002"))
        #expect(text.contains("state:      dead after 1 attempt(s)"))
        #expect(text.contains(#"payload:    {"orderNumber":"SO-00002""#))
        #expect(text.contains("#  STARTED"))
        #expect(text.contains("422     retryable: server error"))
        #expect(try ops.show(2, json: true).contains(#""attempts":[{"#))
        #expect(throws: JournalError.self) { try ops.show(99, json: false) }
    }

    @Test func retryAndResyncMakeNewWorkForTheNextCycle() throws {
        let journal = try journal()
        let ops = JournalOps(journal: journal)
        let allDead = try ops.retry([], allDead: true)
        #expect(allDead.text == "back to pending, sent on the next cycle: 2")
        #expect(allDead.isComplete)
        let some = try ops.retry([1, 3, 999], allDead: false)
        #expect(some.moved == [3])
        #expect(some.unknown == [999])
        #expect(some.notRetryable.map(\.id) == [1])
        #expect(!some.isComplete)
        #expect(some.problems == [
            "no such transfer: 999 (sopd journal list shows the ids)",
            "not retried, only a failed or dead transfer can be: 1 (done)",
        ])
        let resent = try ops.resync(orderNumber: "SO-00001")
        #expect(resent.state == .pending)
        #expect(resent.idempotencyKey == "out:id-1:2026-11-27T09:00:00Z:v2")
        #expect(try journal.dueOutbound(now: Date()).compactMap(\.id).contains(resent.id!))
        #expect(throws: JournalError.self) { try ops.resync(orderNumber: "SO-99999") }
    }

    @Test func statusJudgesDeadFailingAndStale() throws {
        let journal = try journal()
        let settings = OpsSettings(journal: .sqlite(journal.location), intervalSeconds: 60, staleAfterIntervals: 3)
        let never = try HealthReport(journal: journal, settings: settings)
        #expect(never.verdict == .dead)
        #expect(never.verdict.exitCode == 1)
        #expect(never.problems.contains("no successful outbound cycle yet"))
        #expect(never.text.contains("out        0        0        1       1     1"))

        _ = try journal.retry([2])
        let now = Date()
        try journal.setCheckpoint(.outbound, at: now.addingTimeInterval(-600))
        try journal.setCheckpoint(.inbound, at: now)
        let stale = try HealthReport(journal: journal, settings: settings, now: now.addingTimeInterval(0.01))
        #expect(stale.verdict == .stale, "a sopd that stopped: stale comes before the failed transfer it left")
        #expect(stale.verdict.exitCode == 2)
        #expect(stale.problems.contains("last successful outbound cycle 10m00s ago, more than 3 intervals of 60s"))

        try journal.setCheckpoint(.outbound)
        let failing = try HealthReport(journal: journal, settings: settings)
        #expect(failing.verdict == .failing, "a failed transfer makes --sync-now exit 1, and status agrees")
        #expect(failing.verdict.exitCode == 1)
        #expect(failing.problems == ["1 transfer(s) failed, waiting for a retry: sopd journal list --state failed"])

        _ = try journal.retry([3])
        try journal.setCheckpoint(.outbound)
        let healthy = try HealthReport(journal: journal, settings: settings)
        #expect(healthy.verdict == .ok)
        #expect(healthy.json["verdict"] == "OK")
        #expect(healthy.json["backlog"]?["out"]?["pending"] == 2)
        #expect(healthy.problems.isEmpty)
    }

    @Test func durationsReadAndWriteAsOpsWriteThem() {
        #expect(DurationText.seconds("90s") == 90)
        #expect(DurationText.seconds("15m") == 900)
        #expect(DurationText.seconds("1h") == 3600)
        #expect(DurationText.seconds("2d") == 172_800)
        #expect(DurationText.seconds("soon") == nil)
        #expect(DurationText.age(192) == "3m12s")
        #expect(DurationText.age(7500) == "2h05m")
    }
}
