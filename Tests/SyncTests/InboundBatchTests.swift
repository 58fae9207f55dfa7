import Daemon
import Dataverse
import Emulators
import Foundation
import JSON
import SalesRules
import SopdTestSupport
import Sync
import Testing
import Transfers

/// Back-office events of many orders applied together: their orders read in one request, their writes in one
/// `$batch`, each event its own changeset, so that one event that fails fails alone and leaves nothing behind.
@Suite struct InboundBatchTests {
    /// Orders SO-(`first` + 1) … SO-(`first` + `count`), with the lines `lines` gives each, sent by one cycle of
    /// `runtime`, then accepted and shipped in full in the back office.
    /// - Returns: The orders' ids.
    private func shippedInTheBackOffice(
        _ fixture: SyncFixture, runtime: Runtime, first: Int, count: Int, lines: (Int) -> [DemoData.Line]
    ) async throws -> [String] {
        let store = fixture.suite.dataverse.store
        try DemoData.seedCatalog(into: store)
        let orders = try (1...count).map { number in
            try DemoData.addOrder(to: store, number: first + number, status: .inProgress, lines: lines(number))
        }
        #expect(await runtime.engine.runCycle().delivered.count == count)
        for order in fixture.suite.backOffice.receivedOrders {
            try fixture.suite.backOffice.accept(order.id)
            try fixture.suite.backOffice.ship(order.id, complete: true)
        }
        return orders
    }

    @Test func eventsOfManyOrdersGoInOneBatchAndEachIsAllOrNothing() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        let runtime = try fixture.runtime()
        let orders = try await shippedInTheBackOffice(fixture, runtime: runtime, first: 9500, count: 30) { [.product($0, quantity: 1)] }
        let refused = orders[7]
        fixture.suite.dataverse.refuseNextWrite(of: refused)
        let before = fixture.suite.dataverse.requestCount

        let report = await runtime.engine.runCycle()

        #expect(report.inbound.applied.count == 58)
        #expect(report.inbound.failed.count == 1)
        #expect(report.inbound.failed.first?.reason.contains("A validation rule refused this change") == true)
        #expect(report.inbound.waiting.count == 1, "the refused order's shipment waits for its acceptance")
        // The acting user's check (3), then two rounds (acceptances, shipments) of one read and one $batch each, and the outbound poll.
        #expect(fixture.suite.dataverse.requestCount - before <= 8)
        for order in orders where order != refused {
            let row = try #require(store.row("salesorder", id: order))
            #expect(row["statecode"] == .int(OrderState.fulfilled.rawValue))
            #expect(store.rows("annotation").filter { $0["_objectid_value"]?.stringValue == order }.count == 2)
        }
        let row = try #require(store.row("salesorder", id: refused))
        #expect(row["submitstatus"] == .int(SubmitStatus.received.rawValue), "the refused acceptance changed nothing")
        #expect(
            store.rows("annotation").allSatisfy { $0["_objectid_value"]?.stringValue != refused },
            "the refused acceptance's note rolled back with it")
        await fixture.suite.stop()
    }

    @Test func invoicesOfManyOrdersGoInBatchesOfAtMostAThousandRequestsWithTheirProductsReadOnce() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        let backOffice = fixture.suite.backOffice
        let runtime = try fixture.runtime(clock: ManualClock())
        // Each invoice's changeset: the invoice, 2 requests per line, its totals, the order's move and the note: 54.
        let orders = try await shippedInTheBackOffice(fixture, runtime: runtime, first: 9600, count: 20) { number in
            (0..<24).map { .product(number + $0, quantity: 1) } + [.writeIn("Site visit", quantity: 1)]
        }
        #expect(await runtime.engine.runCycle().inbound.applied.count == 40)
        for order in backOffice.receivedOrders { try backOffice.invoice(order.id) }
        let before = fixture.suite.dataverse.requestCount

        let report = await runtime.engine.runCycle()

        #expect(report.inbound.applied.count == 20)
        // One read of the orders, one of their products, two $batches (1,080 requests in all), and the outbound poll.
        #expect(fixture.suite.dataverse.requestCount - before == 5)
        for order in orders {
            #expect(store.row("salesorder", id: order)?["statecode"] == .int(OrderState.invoiced.rawValue))
            let invoices = store.rows("invoice").filter { $0["_salesorderid_value"]?.stringValue == order }
            #expect(invoices.count == 1)
            let lines = store.rows("invoicedetail").filter { $0["_invoiceid_value"]?.stringValue == invoices.first?["invoiceid"]?.stringValue }
            #expect(lines.filter { $0["_productid_value"]?.stringValue != nil }.count == 24, "catalog lines keep their product")
            #expect(lines.filter { $0["isproductoverridden"] == true }.count == 1, "the write-in stays a write-in")
        }
        await fixture.suite.stop()
    }

    @Test func aBatchOverAThousandRequestsIsRefusedUnsent() async throws {
        let fixture = try await SyncFixture()
        let client = fixture.dataverseClient()
        let before = fixture.suite.dataverse.requestCount
        let note = BatchRequest(method: .patch, path: "annotations(\(DemoData.guid("ab", 1)))", body: ["subject": "x"])
        #expect(throws: DataverseError.self) {
            try client.batch(changesets: [Array(repeating: note, count: 1001)])
        }
        #expect(fixture.suite.dataverse.requestCount == before)
        await fixture.suite.stop()
    }
}
