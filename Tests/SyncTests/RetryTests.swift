import Daemon
import Emulators
import Foundation
import JSON
import Journal
import SopdTestSupport
import Sync
import Testing
import Transfers

/// Each failure class, played by the reference back office's fault injection: what the journal says
/// after each cycle, and that in the end every order arrives exactly once. Time is a `ManualClock` and
/// the jitter a fixed half window: a retry is due because the test moved the clock, never because the
/// machine was fast or slow.
@Suite struct RetryTests {
    private struct Setup {
        let fixture: SyncFixture
        let runtime: Runtime
        let clock: ManualClock
        var backOffice: BackOfficeEmulator { fixture.suite.backOffice }
        var journal: Journal { runtime.journal }

        func outbound() throws -> [Transfer] {
            try journal.transfers(matching: TransferFilter(direction: .outbound)).sorted { $0.orderNumber < $1.orderNumber }
        }

        func exactlyOnce(_ count: Int) {
            let received = backOffice.receivedOrders
            #expect(received.count == count)
            #expect(Set(received.compactMap { $0.document["orderNumber"]?.stringValue }).count == count)
            #expect(received.allSatisfy { $0.deliveries == 1 })
        }
    }

    private func setup(orders: Int = 3, _ overrides: [String: String] = [:]) async throws -> Setup {
        let fixture = try await SyncFixture()
        try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
        for number in 1...orders {
            try DemoData.addOrder(to: fixture.suite.dataverse.store, number: 8000 + number, status: .inProgress, lines: [.product(number, quantity: 1)])
        }
        let clock = ManualClock()
        let runtime = try fixture.runtime(
            [
                "sync.retry.baseSeconds": "1", "sync.retry.capSeconds": "1",
                "sync.maxInFlight": "1",
            ].merging(overrides) { _, new in new }, clock: clock, random: FixedRandom(0.5))
        return Setup(fixture: fixture, runtime: runtime, clock: clock)
    }

    @Test func serverErrorsAreRetriedUntilEveryOrderArrivesOnce() async throws {
        let setup = try await setup()
        setup.backOffice.inject(.status(503), count: 2)

        let first = await setup.runtime.engine.runCycle()
        #expect(first.delivered.isEmpty)
        #expect(first.failed.count == 1, "the first 503 opens the back office's circuit")
        #expect(first.skipped.map(\.reason).allSatisfy { $0.hasPrefix("waits for the back office, unavailable since") })
        #expect(first.skipped.count == 2)
        let failed = try setup.outbound().filter { $0.state == .failed }
        #expect(failed.count == 1)
        #expect(failed.allSatisfy { $0.lastStatus == 503 && $0.attempts == 1 && $0.nextAttemptAt != nil })
        let attempt = try #require(try setup.journal.attempts(of: failed[0].id!).first)
        #expect(attempt.outcome == "retryable: server error")
        #expect(attempt.status == 503)
        #expect(attempt.excerpt?.contains("injected") == true)
        #expect(
            try setup.outbound().filter { $0.state == .pending && $0.attempts == 0 && $0.leaseOwner == nil }.count == 2,
            "held, never tried against a failing peer: the claims taken as they were journaled are given back")

        setup.clock.advance(by: 1)
        let second = await setup.runtime.engine.runCycle()
        #expect(second.delivered.isEmpty && second.failed.count == 1, "the one probe meets the second 503")
        setup.clock.advance(by: 1)
        let third = await setup.runtime.engine.runCycle()
        #expect(third.delivered.count == 3, "the probe gets through and what waited goes in the same pass")
        #expect(try setup.outbound().allSatisfy { $0.state == .done })
        setup.exactlyOnce(3)
        await setup.fixture.suite.stop()
    }

    @Test func throttlingHonoursRetryAfter() async throws {
        let setup = try await setup(orders: 1)
        setup.backOffice.inject(.throttle(retryAfter: 1))

        _ = await setup.runtime.engine.runCycle()
        let throttled = try #require(try setup.outbound().first)
        #expect(throttled.state == .failed)
        #expect(throttled.lastStatus == 429)
        let wait = try #require(throttled.nextAttemptAt).timeIntervalSince(throttled.updatedAt)
        #expect(wait >= 0.99, "waits at least Retry-After")

        let early = await setup.runtime.engine.runCycle()
        #expect(early.delivered.isEmpty)
        #expect(early.skipped.first?.reason.contains("next attempt at") == true)
        setup.clock.advance(by: 1.1)
        let late = await setup.runtime.engine.runCycle()
        #expect(late.delivered.count == 1)
        setup.exactlyOnce(1)
        await setup.fixture.suite.stop()
    }

    @Test func aHangAndADroppedConnectionAreRetryable() async throws {
        // The timeout is what this test is about: 2 s against a 6 s hang leaves room for a loaded machine.
        let setup = try await setup(orders: 2, ["backoffice.timeoutSeconds": "2"])
        setup.backOffice.inject(.hang(seconds: 6))
        // Two drops: libcurl silently retries a request whose reused connection dies before any answer,
        // so one drop may never surface; the second then does.
        setup.backOffice.inject(.drop, count: 2)

        // The hang opens the circuit; the drops meet the next probes; a probe after that gets through.
        var errors: [String] = []
        for _ in 1...6 where setup.backOffice.receivedOrders.count < 2 {
            _ = await setup.runtime.engine.runCycle()
            errors += try setup.outbound().compactMap(\.lastError)
            setup.clock.advance(by: 2)
        }
        let attempts = try setup.outbound().flatMap { try setup.journal.attempts(of: $0.id!) }
        #expect(attempts.map(\.outcome).contains("retryable: back office unavailable"))
        #expect(errors.contains { $0.contains("timed out") })
        #expect(errors.contains { $0.contains("connection lost") })
        #expect(try setup.outbound().allSatisfy { $0.state == .done })
        setup.exactlyOnce(2)
        await setup.fixture.suite.stop()
    }

    @Test func aRefusedDocumentIsDeadAtOnceAndGoesBackToTheSalesperson() async throws {
        let setup = try await setup(orders: 1)
        setup.backOffice.inject(.status(422))

        let report = await setup.runtime.engine.runCycle()
        #expect(report.failed.count == 1)
        let dead = try #require(try setup.outbound().first)
        #expect(dead.state == .dead)
        #expect(dead.attempts == 1)
        #expect(try setup.journal.attempts(of: dead.id!).first?.outcome == "permanent: order refused")
        let order = try #require(setup.fixture.suite.dataverse.store.row("salesorder", id: dead.orderId))
        #expect(order["statecode"] == 0)
        #expect(order["statuscode"] == 2)
        #expect(order["lastbackofficesubmit"] == .null)
        #expect(order["submitstatus"] == 4)
        #expect(order["submitstatusdescription"]?.stringValue?.hasPrefix("Not sent to the back office: back office: order refused (HTTP 422)") == true)
        #expect(order["_modifiedby_value"]?.stringValue == EmulatorIdentities.applicationUserId)

        let again = await setup.runtime.engine.runCycle()
        #expect(again.delivered.isEmpty && again.failed.isEmpty, "nothing is re-sent")
        #expect(setup.backOffice.receivedOrders.isEmpty)
        await setup.fixture.suite.stop()
    }

    @Test func pastTheGiveUpHorizonATransferIsDeadUntilAnOperatorRetriesIt() async throws {
        let setup = try await setup(orders: 1, ["sync.returnRefusedOrders": "false", "sync.retry.giveUpAfter": "1h"])
        setup.backOffice.inject(.status(503), count: 3)

        for advance in [1800.0, 1900, 1] {
            _ = await setup.runtime.engine.runCycle()
            setup.clock.advance(by: advance)
        }
        let dead = try #require(try setup.outbound().first)
        #expect(dead.state == .dead)
        #expect(dead.attempts == 3)
        #expect(try setup.journal.attempts(of: dead.id!).map(\.number) == [1, 2, 3])
        let order = try #require(setup.fixture.suite.dataverse.store.row("salesorder", id: dead.orderId))
        #expect(order["statecode"] == 1, "a server error is not the document's fault: the order stays submitted")
        #expect(order["submitstatusdescription"]?.stringValue?.contains("sopd journal retry \(dead.id!)") == true)
        let idle = await setup.runtime.engine.runCycle()
        #expect(idle.skipped.first?.reason.hasPrefix("dead after 3 attempt(s)") == true)

        #expect(try setup.journal.retry([dead.id!]) == [dead.id!])
        let retried = await setup.runtime.engine.runCycle()
        #expect(retried.delivered.count == 1)
        setup.exactlyOnce(1)
        await setup.fixture.suite.stop()
    }

    @Test func theBackoffGrowsWithFullJitterAndNeverBelowRetryAfter() {
        let policy = RetryPolicy(baseSeconds: 2, capSeconds: 60, giveUpAfterSeconds: 3600)
        let now = Date(timeIntervalSince1970: 0)
        func delay(_ attempt: Int, _ failure: FailureClass, _ random: Double, age: Double = 0) -> Double? {
            if case .retry(let at) = policy.disposition(
                after: attempt, failure: failure, journaledAt: now.addingTimeInterval(-age), now: now, random: random)
            {
                return at.timeIntervalSince(now)
            }
            return nil
        }
        #expect(delay(1, .retryable(retryAfter: nil), 0.999)! < 2)
        #expect(delay(3, .retryable(retryAfter: nil), 0.999)! > 7.9)
        #expect(delay(4, .retryable(retryAfter: nil), 0)! == 0)
        #expect(delay(10, .retryable(retryAfter: nil), 0.5, age: 3600) == nil, "past the give-up horizon: dead")
        #expect(delay(1000, .retryable(retryAfter: nil), 0.5, age: 3599) != nil, "never dead by count")
        #expect(delay(1, .retryable(retryAfter: 30), 0.1)! == 30)
        #expect(delay(1, .permanent, 0.5) == nil)
        #expect(delay(4, .retryable(retryAfter: nil), 0.999)! <= 16)
        #expect(RetryPolicy(baseSeconds: 2, capSeconds: 5).disposition(after: 20, failure: .retryable(retryAfter: nil), journaledAt: now, now: now, random: 0.999) == .retry(at: now.addingTimeInterval(5 * 0.999)))
    }
}
