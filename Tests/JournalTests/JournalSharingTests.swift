import Clocks
import Foundation
import Journal
import SopdTestSupport
import Testing
import Transfers

/// Several sopd sharing one journal, as several hosts share a PostgreSQL journal (or two processes a SQLite file):
/// claims with fencing tokens, the feed's lease, hosts, and migrations started at once. Each runs on both backends.
@Suite struct JournalSharingTests {
    private func order(_ number: Int) -> Transfer {
        Transfer(
            direction: .outbound, orderId: "id-\(number)", orderNumber: "SO-\(number)", idempotencyKey: "out:\(number):v1", payload: "{}",
            now: Date())
    }

    private let ok = AttemptLog(startedAt: Date(), durationMs: 5, outcome: "ok")

    @Test(arguments: JournalBackend.tested)
    func anOutcomeSentUnderAClaimThatRanOutIsRefusedOnceAnotherHostClaimedTheTransfer(backend: JournalBackend) throws {
        let clock = ManualClock()
        let place = try backend.place()
        let paused = try place.open(clock: clock, owner: "host-a:1", leaseSeconds: 10)
        let other = try place.open(clock: clock, owner: "host-b:1", leaseSeconds: 10)
        let id = try #require(try paused.record(order(1)).id)
        let first = try #require(try paused.beginAttempt(id))
        #expect(try other.beginAttempt(id) == nil, "the lease holds for another host")
        clock.advance(by: 11)
        let second = try #require(try other.beginAttempt(id), "taken over once the lease ran out")
        #expect(second.fence == first.fence + 1 && second.attempts == 2)

        let refused = #expect(throws: JournalError.self) {
            try paused.complete(id, remoteId: "BO-OLD", status: 201, attempt: ok, fence: first.fence)
        }
        #expect(refused?.fenced == true, "\(String(describing: refused))")
        #expect(throws: JournalError.self) {
            try paused.fail(id, reason: "late", status: 503, disposition: .retry(at: clock.now()), attempt: ok, fence: first.fence)
        }
        #expect(paused.complete([.init(id: id, remoteId: "BO-OLD", status: 201, attempt: ok, fence: first.fence)])[id]?.fenced == true)
        try paused.release([first], owner: "host-a:1")
        let stillSending = try #require(try other.transfer(id: id))
        #expect(stillSending.state == .sending && stillSending.leaseOwner == "host-b:1", "the newer claim is untouched")

        try other.complete(id, remoteId: "BO-NEW", status: 201, attempt: ok, fence: second.fence)
        let done = try #require(try paused.transfer(id: id))
        #expect(done.state == .done && done.remoteId == "BO-NEW")
        let attempts = try paused.attempts(of: id)
        #expect(attempts.map(\.owner) == ["host-b:1"], "only the attempt under the newest claim is in the history")
        #expect(attempts.map(\.fence) == [second.fence])
        #expect(try paused.tallies()[.outbound] == [.delivered: 1])
    }

    @Test(arguments: JournalBackend.tested)
    func twoHostsClaimingTheSameTransfersAtOnceClaimEachOnce(backend: JournalBackend) throws {
        let place = try backend.place()
        let hosts = try (0..<2).map { try place.open(owner: "host-\($0):1") }
        let ids = try hosts[0].record((1...60).map(order)).compactMap(\.id)
        let lock = NSLock()
        nonisolated(unsafe) var claimedBy: [Int64: [Int]] = [:]
        nonisolated(unsafe) var errors: [String] = []
        // One claimer per host (a host takes back its own claims, as after a crash): both walk the same ids at once.
        DispatchQueue.concurrentPerform(iterations: 2) { host in
            for chunk in stride(from: 0, to: ids.count, by: 5) {
                do {
                    let claimed = try hosts[host].beginAttempts(Array(ids[chunk..<min(chunk + 5, ids.count)]))
                    lock.withLock { for id in claimed.keys { claimedBy[id, default: []].append(host) } }
                } catch {
                    lock.withLock { errors.append("\(error)") }
                }
            }
        }
        #expect(errors.isEmpty, "\(errors)")
        #expect(claimedBy.count == ids.count, "every transfer claimed")
        #expect(claimedBy.values.allSatisfy { $0.count == 1 }, "none claimed twice: \(claimedBy.filter { $0.value.count > 1 })")
        let stored = try hosts[0].transfers(state: .sending, limit: 1000)
        #expect(stored.count == ids.count && stored.allSatisfy { $0.fence == 1 && $0.attempts == 1 })
    }

    @Test(arguments: JournalBackend.tested)
    func theFeedsLeaseHasOneHolderAndAFeedWriteUnderALostLeaseIsRefused(backend: JournalBackend) throws {
        let clock = ManualClock()
        let place = try backend.place()
        let a = try place.open(clock: clock, owner: "host-a:1", leaseSeconds: 10)
        let b = try place.open(clock: clock, owner: "host-b:1", leaseSeconds: 10)
        let held = try #require(try a.acquireLease(Journal.feedLeaseName))
        #expect(try b.acquireLease(Journal.feedLeaseName) == nil, "one reader at a time")
        let event = Transfer(direction: .inbound, orderId: "o", orderNumber: "SO-1", idempotencyKey: "in:1", payload: "{}", sequence: 1, now: clock.now())
        clock.advance(by: 8)
        try a.record([event], cursorName: "backoffice.changes", cursor: "1", lease: held)
        clock.advance(by: 8)
        #expect(try b.acquireLease(Journal.feedLeaseName) == nil, "a feed write renewed the lease")
        clock.advance(by: 11)
        let taken = try #require(try b.acquireLease(Journal.feedLeaseName), "taken over once it ran out")
        #expect(taken.fence == held.fence + 1)
        let refused = #expect(throws: JournalError.self) {
            try a.record([], cursorName: "backoffice.changes", cursor: "2", lease: held)
        }
        #expect(refused?.fenced == true)
        #expect(try a.cursor("backoffice.changes") == "1", "the fenced-off host did not move the cursor")
        try b.releaseLease(taken)
        #expect(try a.acquireLease(Journal.feedLeaseName)?.fence == taken.fence + 1, "a lease given back is free at once, its token goes on")
        #expect(try a.leases().map(\.owner) == ["host-a:1"])
    }

    @Test(arguments: JournalBackend.tested)
    func aLiveHostKeepsItsClaimsUnderWayAndLosesOneItCouldNotSettle(backend: JournalBackend) throws {
        let clock = ManualClock()
        let place = try backend.place()
        let a = try place.open(clock: clock, owner: "host-a:1", leaseSeconds: 10)
        let b = try place.open(clock: clock, owner: "host-b:1", leaseSeconds: 10)
        let ids = try a.record([order(1), order(2)]).compactMap(\.id)
        let claims = try a.beginAttempts(ids)
        #expect(claims.count == 2)
        // The second's outcome cannot be journaled (here: sent under a claim it does not hold); it is no longer renewed.
        #expect(throws: JournalError.self) { try a.complete(ids[1], remoteId: "BO-2", status: 201, fence: 99) }
        clock.advance(by: 8)
        #expect(try a.renewLeases() == 1)
        clock.advance(by: 4)
        #expect(try b.beginAttempt(ids[0]) == nil, "the attempt under way kept its claim past its first lease")
        #expect(try b.beginAttempt(ids[1])?.fence == 2, "the one left unsettled ran out and is taken again")
        #expect(throws: Never.self) { try a.complete(ids[0], remoteId: "BO-1", status: 201, fence: claims[ids[0]]?.fence) }
        #expect(try a.renewLeases() == 0, "nothing under way is left to renew")
    }

    @Test(arguments: JournalBackend.tested)
    func aJournalIsWritableWhereItIsOpened(backend: JournalBackend) throws {
        let journal = try backend.place().open()
        #expect(journal.writeProblem() == nil)
        #expect(try journal.schema().writable)
        #expect(try backend.place().open().schema().migrations == journal.schema().migrations, "a migrated journal opens as it is")
    }

    @Test(arguments: JournalBackend.tested)
    func hostsShowTheirHeartbeatsAndTheTransfersTheyHold(backend: JournalBackend) throws {
        let clock = ManualClock()
        let place = try backend.place()
        let a = try place.open(clock: clock, owner: "host-a:1")
        let b = try place.open(clock: clock, owner: "host-b:2")
        try a.heartbeat(version: "1.0", startedAt: clock.now())
        clock.advance(by: 5)
        try b.heartbeat(version: "1.1", startedAt: clock.now())
        let id = try #require(try a.record(order(1)).id)
        let claimed = try #require(try a.beginAttempt(id))
        let hosts = try b.hosts()
        #expect(hosts.map(\.owner) == ["host-b:2", "host-a:1"], "most recently seen first")
        #expect(hosts[1].transfersLeased == 1 && hosts[1].transferLeasesUntil == claimed.leaseUntil)
        #expect(hosts[0].transfersLeased == 0 && hosts[0].version == "1.1")
        clock.advance(by: 60)
        try b.heartbeat(version: "1.1", startedAt: clock.now())
        #expect(try b.forgetHosts(notSeenSince: clock.now().addingTimeInterval(-30)) == 1)
        #expect(try b.hosts().map(\.owner) == ["host-b:2"])
    }

    @Test(arguments: JournalBackend.tested)
    func hostsStartingAtOnceMigrateTheJournalOnce(backend: JournalBackend) throws {
        let place = try backend.place()
        let lock = NSLock()
        nonisolated(unsafe) var schemas: [[String]] = []
        nonisolated(unsafe) var errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let migrations = try place.open().schema().migrations
                lock.withLock { schemas.append(migrations) }
            } catch {
                lock.withLock { errors.append("\(error)") }
            }
        }
        #expect(errors.isEmpty, "\(errors)")
        #expect(schemas.count == 4 && Set(schemas.map { $0.joined(separator: "|") }).count == 1 && !(schemas.first ?? []).isEmpty)
    }
}

/// `sopd journal migrate`: a journal copied to another backend keeps every transfer under its id, with its attempts,
/// cursors, checkpoints and tallies; new rows go on after the copied ids.
@Suite struct JournalCopyTests {
    @Test(arguments: JournalBackend.tested)
    func aJournalMovesWholeAndNewRowsGoOnAfterIt(destination backend: JournalBackend) throws {
        let clock = ManualClock()
        let source = try JournalBackend.sqlite.place().open(clock: clock, owner: "old:1")
        let ok = AttemptLog(startedAt: clock.now(), durationMs: 4, outcome: "ok")
        let ids = try source.record(
            (1...25).map {
                Transfer(direction: .outbound, orderId: "id-\($0)", orderNumber: "SO-\($0)", idempotencyKey: "out:\($0)", payload: "{\"n\":\($0)}", now: clock.now())
            }
        ).compactMap(\.id)
        for id in ids.prefix(10) {
            let claim = try #require(try source.beginAttempt(id))
            try source.complete(id, remoteId: "BO-\(id)", status: 201, attempt: ok, fence: claim.fence)
        }
        let failing = try #require(try source.beginAttempt(ids[10]))
        try source.fail(ids[10], reason: "503", status: 503, disposition: .retry(at: clock.now().addingTimeInterval(30)), attempt: ok, fence: failing.fence)
        try source.setCursor("backoffice.changes", to: "77")
        try source.setCheckpoint(.outbound)
        let lease = try #require(try source.acquireLease(Journal.feedLeaseName))
        #expect(try source.busyReason(now: clock.now())?.contains("old:1") == true, "a journal in use is not moved")
        try source.releaseLease(lease)
        #expect(try source.busyReason(now: clock.now()) == nil)

        let target = try backend.place().open(clock: clock, owner: "new:1")
        let report = try source.copy(into: target, batch: 7)
        #expect(report == Journal.CopyReport(transfers: 25, attempts: 11, others: 4))
        for id in ids {
            let before = try #require(try source.transfer(id: id))
            let after = try #require(try target.transfer(id: id))
            #expect(after.idempotencyKey == before.idempotencyKey && after.state == before.state && after.attempts == before.attempts)
            #expect(after.remoteId == before.remoteId && after.payload == before.payload && after.fence == before.fence)
        }
        #expect(try target.attempts(of: ids[10]).map(\.outcome) == ["ok"])
        #expect(try target.cursor("backoffice.changes") == "77")
        #expect(try target.checkpoint(.outbound) != nil)
        #expect(try target.tallies() == source.tallies())
        let next = try target.record(
            Transfer(direction: .outbound, orderId: "id-26", orderNumber: "SO-26", idempotencyKey: "out:26", payload: "{}", now: clock.now()))
        #expect(next.id == ids.max()! + 1, "a new transfer takes the next id")
        #expect(throws: JournalError.self) { try source.copy(into: target) }
    }
}
