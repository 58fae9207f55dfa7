import Daemon
import Dataverse
import Emulators
import Foundation
import JSON
import SopdTestSupport
import Sync
import Testing

/// Change tracking: the emulator's delta links, and the outbound poll that follows them.
@Suite struct ChangeTrackingTests {
    @Test func deltaLinksReturnChangedAndDeletedRowsAndExpire() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let clock = ManualClock()
        fixture.suite.dataverse.setClock(clock)
        let client = fixture.dataverseClient()
        let store = fixture.suite.dataverse.store
        let start = try await onDispatchQueue {
            try client.firstPage("salesorders", query: DataverseQuery(select: ["salesorderid", "statecode"]), pageSize: 7, trackChanges: true)
        }
        #expect(start.deltaLink == nil, "the delta link comes with the last page")
        var page = start
        while let next = page.nextLink { page = try await onDispatchQueue { try client.nextPage(next, pageSize: 7, trackChanges: true) } }
        let link = try #require(page.deltaLink)
        #expect(link.contains("$deltatoken="))

        let idle = try await onDispatchQueue { try client.changes(since: link) }
        #expect(idle.rows.isEmpty)
        try store.update("salesorder", id: DemoData.guid("d1", 1011), body: ["name": "changed"], ifMatch: nil, caller: nil)
        _ = try await fixture.webAPI(.delete, "salesorders(\(DemoData.guid("d1", 1012)))")
        let delta = try await onDispatchQueue { try client.changes(since: link) }
        #expect(delta.rows.compactMap { $0["salesorderid"]?.stringValue } == [DemoData.guid("d1", 1011)])
        let deleted = try #require(delta.rows.last)
        #expect(deleted["id"]?.stringValue == DemoData.guid("d1", 1012))
        #expect(deleted["reason"] == "deleted")
        #expect(deleted["@odata.context"]?.stringValue?.hasSuffix("$metadata#salesorders/$deletedEntity") == true)

        let filtered = await #expect(throws: DataverseError.self) {
            try await onDispatchQueue {
                try client.firstPage("salesorders", query: DataverseQuery(filter: "statecode eq 1"), pageSize: 5, trackChanges: true)
            }
        }
        #expect(filtered?.message.contains("not supported with change tracking") == true)
        fixture.suite.dataverse.setDeltaTokenLifetime(0)
        clock.advance(by: 1.1)
        let expired = await #expect(throws: DataverseError.self) { try await onDispatchQueue { try client.changes(since: link) } }
        #expect(expired?.status == 400)
        await fixture.suite.stop()
    }

    @Test func anIdlePollIsOneRequestAndAnExpiredTokenFallsBackToAFullRead() async throws {
        let fixture = try await SyncFixture()
        let clock = ManualClock()
        fixture.suite.dataverse.setClock(clock)
        let store = fixture.suite.dataverse.store
        try DemoData.seedCatalog(into: store)
        for number in 1...12 {
            try DemoData.addOrder(to: store, number: 9600 + number, status: .inProgress, lines: [.product(number, quantity: 1)])
        }
        try DemoData.addOrder(to: store, number: 9650, status: .new, lines: [.product(1, quantity: 1)])
        let runtime = try fixture.runtime(["dataverse.changeTracking": "true", "dataverse.pageSize": "5"])
        let outbound = { await withCheckedContinuation { continuation in runtime.engine.startCycle(.outbound) { continuation.resume(returning: $0) } } }

        let first = await outbound()
        #expect(first.delivered.count == 12)
        #expect(try runtime.journal.cursor(OutboundPipeline.deltaCursorName) != nil)

        _ = await outbound()
        let before = fixture.suite.dataverse.requestCount
        let idle = await outbound()
        #expect(idle.delivered.isEmpty)
        #expect(fixture.suite.dataverse.requestCount - before == 1, "an idle poll is one delta request")

        try DemoData.addOrder(to: store, number: 9651, status: .inProgress, lines: [.product(2, quantity: 3)])
        try store.update("salesorder", id: DemoData.guid("d1", 9650), body: ["name": "still not submitted"], ifMatch: nil, caller: nil)
        let changed = await outbound()
        #expect(changed.delivered.map(\.orderNumber) == ["SO-09651"])

        fixture.suite.dataverse.setDeltaTokenLifetime(0)
        clock.advance(by: 1.1)
        try DemoData.addOrder(to: store, number: 9652, status: .inProgress, lines: [.product(3, quantity: 1)])
        let fallback = await outbound()
        #expect(fallback.readError == nil)
        #expect(fallback.delivered.map(\.orderNumber) == ["SO-09652"], "a full read found the new order")
        #expect(fixture.suite.backOffice.receivedOrders.count == 14)
        #expect(fixture.suite.backOffice.receivedOrders.allSatisfy { $0.deliveries == 1 })
        await fixture.suite.stop()
    }
}
