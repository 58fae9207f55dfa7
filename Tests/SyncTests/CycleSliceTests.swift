import Daemon
import Emulators
import Foundation
import SopdTestSupport
import Sync
import Testing

/// The daemon's cycles take new work for a time slice at most, then give the other direction its turn: a cycle
/// whose slice is over reads no further page and starts no further group of events, says so, and the next
/// cycle goes on where it stopped, nothing lost and nothing sent twice.
@Suite struct CycleSliceTests {
    private func cycle(_ runtime: Runtime, _ kind: SyncEngine.CycleKind, slice: Double) async -> CycleReport {
        await withCheckedContinuation { continuation in
            runtime.engine.startCycle(kind, slice: slice) { continuation.resume(returning: $0) }
        }
    }

    @Test func anOverSliceCycleStopsAfterOnePageOrGroupAndTheNextGoesOn() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        try DemoData.seedCatalog(into: store)
        for number in 1...12 {
            try DemoData.addOrder(to: store, number: 7000 + number, status: .inProgress, lines: [.product(number, quantity: 1)])
        }
        let runtime = try fixture.runtime(["dataverse.pageSize": "5", "dataverse.batchSize": "4"])

        var outbound: [CycleReport] = []
        repeat {
            outbound.append(await cycle(runtime, .outbound, slice: 0))
        } while outbound.last?.cutShort == true && outbound.count < 10
        #expect(outbound.map(\.delivered.count) == [5, 5, 2], "one page per cycle: the slice is over after the first")
        #expect(outbound.map(\.cutShort) == [true, true, false])
        #expect(fixture.suite.backOffice.receivedOrders.count == 12)
        #expect(fixture.suite.backOffice.receivedOrders.allSatisfy { $0.deliveries == 1 })

        for order in fixture.suite.backOffice.receivedOrders { try fixture.suite.backOffice.accept(order.id) }
        var inbound: [CycleReport] = []
        repeat {
            inbound.append(await cycle(runtime, .inbound, slice: 0))
        } while inbound.last?.cutShort == true && inbound.count < 10
        #expect(inbound.map(\.inbound.applied.count) == [4, 4, 4], "one group of dataverse.batchSize events per cycle")
        #expect(inbound.map(\.cutShort) == [true, true, false])
        #expect(try runtime.journal.unfinishedInbound().isEmpty)
        await fixture.suite.stop()
    }

    private func look(_ runtime: Runtime) async -> Bool {
        await withCheckedContinuation { continuation in
            runtime.engine.probeOutbound { continuation.resume(returning: $0) }
        }
    }

    @Test func aLookSeesANewSubmissionAndNothingElse() async throws {
        let fixture = try await SyncFixture()
        try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
        let runtime = try fixture.runtime()
        let before = fixture.suite.dataverse.requestCount

        #expect(await look(runtime), "the first look has nothing to compare with")
        #expect(await look(runtime) == false)
        #expect(fixture.suite.dataverse.requestCount == before + 2, "one request per look")
        _ = try await fixture.submitOrderAsSalesperson(lines: [(1, 2)])
        #expect(await look(runtime), "a submitted order")
        #expect(await look(runtime) == false)
        #expect(await runtime.engine.runCycle(.outbound).delivered.count == 1)
        #expect(await look(runtime), "the order sent leaves the count")
        _ = try await fixture.submitOrderAsSalesperson(lines: [(2, 1)])
        _ = try await fixture.submitOrderAsSalesperson(lines: [(3, 1)])
        #expect(await look(runtime), "two more, whatever their ids")
        #expect(await look(runtime) == false)
        await fixture.suite.stop()
    }
}
