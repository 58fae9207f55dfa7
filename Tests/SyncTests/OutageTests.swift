import Daemon
import Emulators
import Foundation
import Journal
import SopdTestSupport
import Sync
import Testing
import Transfers

/// A peer down for four simulated hours while orders keep coming: nothing dies, nothing is sent twice,
/// the failing peer sees one request at a time, the log stays short, and the backlog drains as soon as
/// the peer answers again. Time is a `ManualClock` moved two minutes per cycle, as the daemon's poll
/// would with `sync.intervalSeconds: 120`.
@Suite struct OutageTests {
    private struct Setup {
        let fixture: SyncFixture
        let runtime: Runtime
        let clock: ManualClock
        let log: CapturedLog
        var backOffice: BackOfficeEmulator { fixture.suite.backOffice }

        /// Runs a cycle every two minutes for `hours`, submitting orders so that `total` are in by the
        /// end; returns the summary lines a daemon would log (those at notice).
        func cycles(hours: Int, submitting total: Int, from first: Int) async throws -> Int {
            let count = hours * 30
            var submitted = 0
            var summaries = 0
            for cycle in 0..<count {
                while submitted < (cycle + 1) * total / count {
                    submitted += 1
                    try DemoData.addOrder(
                        to: fixture.suite.dataverse.store, number: first + submitted, status: .inProgress,
                        lines: [.product(1 + submitted % 3, quantity: 1)])
                }
                if await runtime.engine.runCycle().isNoteworthy { summaries += 1 }
                clock.advance(by: 120)
            }
            return summaries
        }

        /// Cycles a minute apart until the back office holds `count` orders; the seconds that took.
        func drain(until count: Int) async -> Double {
            let start = clock.now()
            for _ in 0..<10 where backOffice.receivedOrders.count < count {
                clock.advance(by: 60)
                _ = await runtime.engine.runCycle()
            }
            return clock.now().timeIntervalSince(start)
        }
    }

    private func setup() async throws -> Setup {
        let fixture = try await SyncFixture()
        try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
        let clock = ManualClock()
        let log = CapturedLog()
        let runtime = try fixture.runtime([:], clock: clock, random: FixedRandom(0.5), logger: log.logger)
        return Setup(fixture: fixture, runtime: runtime, clock: clock, log: log)
    }

    @Test func theBackOfficeDownForFourHours() async throws {
        let setup = try await setup()
        setup.backOffice.setOutage(true)
        let summaries = try await setup.cycles(hours: 4, submitting: 100, from: 7000)

        let lines = setup.log.lines
        #expect(lines.count + summaries < 20, "the whole outage: \(lines.map(\.message))")
        #expect(lines.first?.message.hasPrefix("the back office is unavailable") == true)
        #expect(setup.backOffice.outageLoad.mostAtOnce == 1, "one probe at a time")
        #expect(setup.backOffice.outageLoad.requests < 120, "probes, not every transfer every cycle")
        #expect(try setup.runtime.journal.backlog().dead == 0)
        #expect(try setup.runtime.journal.backlog().waiting == 100)
        #expect(try setup.runtime.journal.outages().map(\.peer) == [.backOffice])

        setup.backOffice.setOutage(false)
        let seconds = await setup.drain(until: 100)
        #expect(seconds <= 300, "within one retry interval (sync.retry.capSeconds) of the recovery")
        let received = setup.backOffice.receivedOrders
        #expect(received.count == 100)
        #expect(Set(received.compactMap { $0.document["orderNumber"]?.stringValue }).count == 100)
        #expect(received.allSatisfy { $0.deliveries == 1 })
        #expect(try setup.runtime.journal.backlog() == JournalBacklog())
        #expect(try setup.runtime.journal.outages().isEmpty)
        #expect(setup.log.lines.contains { $0.message == "the back office answers again; what waited for it goes now" })
        await setup.fixture.suite.stop()
    }

    @Test func dataverseDownForFourHoursBetweenAPostAndItsStamp() async throws {
        let setup = try await setup()
        let dataverse = setup.fixture.suite.dataverse
        // The first cycle reads the first order, posts it, and then Dataverse is gone: the stamp fails.
        try DemoData.addOrder(to: dataverse.store, number: 7100, status: .inProgress, lines: [.product(1, quantity: 1)])
        dataverse.startOutage(afterRequests: 1)
        let summaries = try await setup.cycles(hours: 4, submitting: 99, from: 7100)
        #expect(setup.backOffice.receivedOrders.count == 1, "nothing read while Dataverse is down")

        let lines = setup.log.lines
        #expect(lines.count + summaries < 20, "the whole outage: \(lines.map(\.message))")
        #expect(lines.contains { $0.message.hasPrefix("Dataverse is unavailable") })
        #expect(try setup.runtime.journal.backlog().dead == 0)
        #expect(try setup.runtime.journal.outages().map(\.peer) == [.dataverse])

        dataverse.endOutage()
        let seconds = await setup.drain(until: 100)
        #expect(seconds <= 300, "within one retry interval (sync.retry.capSeconds) of the recovery")
        let received = setup.backOffice.receivedOrders
        #expect(received.count == 100)
        #expect(Set(received.compactMap { $0.document["orderNumber"]?.stringValue }).count == 100)
        #expect(received.dropFirst().allSatisfy { $0.deliveries == 1 })
        #expect(received.first?.deliveries == 2, "the order posted before the outage is posted again with its key, once")
        let orders = dataverse.store.rows("salesorder")
        #expect(orders.count == 100)
        #expect(orders.allSatisfy { $0["lastbackofficesubmit"]?.stringValue != nil }, "every order stamped")
        #expect(try setup.runtime.journal.backlog() == JournalBacklog())
        await setup.fixture.suite.stop()
    }
}
