import Daemon
import Emulators
import Foundation
import HTTP
import JSON
import SalesRules
import Journal
import SopdTestSupport
import Sync
import Testing
import Transfers

/// The back office's changes coming back into Dynamics, end to end over loopback: the real clients,
/// both emulators, a real journal.
@Suite struct InboundPipelineTests {
    private func annotations(_ fixture: SyncFixture, order: String) -> [[String: JSONValue]] {
        fixture.suite.dataverse.store.rows("annotation").filter { $0["_objectid_value"]?.stringValue == order }
    }

    private func lines(_ fixture: SyncFixture, order: String) -> [[String: JSONValue]] {
        fixture.suite.dataverse.store.rows("salesorderdetail").filter { $0["_salesorderid_value"]?.stringValue == order }
            .sorted { ($0["lineitemnumber"]?.intValue ?? 0) < ($1["lineitemnumber"]?.intValue ?? 0) }
    }

    private func salespersonCannotEdit(_ fixture: SyncFixture, order: String) async throws {
        let response = try await fixture.webAPI(
            .patch, "salesorders(\(order))", body: ["name": "edited by Sam"], token: EmulatorIdentities.salesUserToken)
        #expect(response.status == 400)
        #expect(try JSONParser.parse(response.body)["error"]?["message"] == "Cannot perform the action because the record is read only")
    }

    private func writes(_ fixture: SyncFixture) -> Int {
        let counts = fixture.suite.dataverse.requestCounts
        return (counts["PATCH"] ?? 0) + (counts["POST"] ?? 0) + (counts["DELETE"] ?? 0)
    }

    @Test func anOrderLivesItsWholeLifeWithTheBackOfficesNumbersAndAReplayChangesNothing() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        let backOffice = fixture.suite.backOffice
        try DemoData.seedCatalog(into: store)
        let orderId = try await fixture.submitOrderAsSalesperson(lines: [(1, 2), (3, 10)])
        let runtime = try fixture.runtime()

        var report = await runtime.engine.runCycle()
        #expect(report.delivered.count == 1)
        let boId = try #require(backOffice.receivedOrders.first?.id)

        try backOffice.accept(boId)
        report = await runtime.engine.runCycle()
        #expect(report.inbound.applied.map(\.type) == ["accepted"])
        var order = try #require(store.row("salesorder", id: orderId))
        #expect(order["submitstatus"] == 2)
        #expect(order["submitstatusdescription"]?.stringValue?.contains("Accepted by the back office as ERP-") == true)
        #expect(order["_modifiedby_value"]?.stringValue == EmulatorIdentities.applicationUserId)
        try await salespersonCannotEdit(fixture, order: orderId)

        let repriced = try backOffice.changeLines(
            boId, discountPercent: 10, removing: [2], addWriteIn: ("Expedited handling", 1, Decimal(35)))
        report = await runtime.engine.runCycle()
        #expect(report.inbound.applied.map(\.type) == ["linesChanged"])
        let sent = try #require(repriced["data"]?["lines"]?.arrayValue)
        let stored = lines(fixture, order: orderId)
        #expect(stored.count == 2)
        for (line, row) in zip(sent, stored) {
            #expect(row["priceperunit"] == line["unitPrice"])
            #expect(row["baseamount"] == line["baseAmount"])
            #expect(row["extendedamount"] == line["extendedAmount"])
            #expect(row["tax"] == line["tax"])
            #expect(row["quantity"] == line["quantity"])
        }
        #expect(stored[0]["priceperunit"] == .number("405.00"), "the back office's price, not the list price 450.00")
        #expect(stored[1]["productdescription"] == "Expedited handling")
        #expect(stored[1]["isproductoverridden"] == true)
        order = try #require(store.row("salesorder", id: orderId))
        let totals = try #require(repriced["data"]?["totals"])
        #expect(order["totalamount"] == totals["totalAmount"])
        #expect(order["totallineitemamount"] == totals["lineItemAmount"])
        #expect(order["totaltax"] == totals["tax"])
        #expect(order["statecode"] == 1)
        try await salespersonCannotEdit(fixture, order: orderId)

        let partly = try backOffice.ship(boId, complete: false)
        report = await runtime.engine.runCycle()
        order = try #require(store.row("salesorder", id: orderId))
        #expect(order["statecode"] == 1, "a partial shipment leaves the order open")
        #expect(order["statuscode"] == 3)
        #expect(order["datefulfilled"] == partly["data"]?["shippedAt"])
        try backOffice.ship(boId, complete: true)
        report = await runtime.engine.runCycle()
        order = try #require(store.row("salesorder", id: orderId))
        #expect(order["statuscode"] == 100001)
        try await salespersonCannotEdit(fixture, order: orderId)

        let invoiced = try backOffice.invoice(boId)
        report = await runtime.engine.runCycle()
        #expect(report.inbound.applied.map(\.type) == ["invoiced"])
        #expect(report.outcome == .allDone)
        order = try #require(store.row("salesorder", id: orderId))
        #expect(order["statecode"] == 4)
        #expect(order["statuscode"] == 100003)
        let invoices = store.rows("invoice").filter { $0["_salesorderid_value"]?.stringValue == orderId }
        #expect(invoices.count == 1)
        let invoice = try #require(invoices.first)
        #expect(invoice["totalamount"] == invoiced["data"]?["totals"]?["totalAmount"])
        #expect(invoice["invoicenumber"] == invoiced["data"]?["invoiceNumber"])
        let invoiceId = try #require(invoice["invoiceid"]?.stringValue)
        let invoiceLines = store.rows("invoicedetail").filter { $0["_invoiceid_value"]?.stringValue == invoiceId }
        #expect(Set(invoiceLines.compactMap { $0["baseamount"] }) == Set(sent.compactMap { $0["baseAmount"] }))
        try await salespersonCannotEdit(fixture, order: orderId)

        let notes = annotations(fixture, order: orderId).compactMap { $0["subject"]?.stringValue }
        #expect(
            Set(notes) == ["Accepted by the back office", "Changed by the back office", "Partly shipped", "Shipped", "Invoiced"])
        #expect(try runtime.journal.transfers(state: .done).filter { $0.direction == .inbound }.count == 5)

        let writesBefore = writes(fixture)
        try runtime.journal.setCursor(InboundPipeline.cursorName, to: "0")
        let replay = await runtime.engine.runCycle()
        #expect(replay.inbound.eventsRead == 5)
        #expect(replay.inbound.applied.isEmpty)
        #expect(replay.inbound.failed.isEmpty)
        #expect(writes(fixture) == writesBefore, "a replayed feed writes nothing")
        #expect(store.rows("invoice").count == 1)
        #expect(annotations(fixture, order: orderId).count == 5)
        await fixture.suite.stop()
    }

    @Test func aNonIntegrationActingUserIsRefusedBeforeAnyWrite() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let store = fixture.suite.dataverse.store
        let clock = ManualClock()
        let runtime = try fixture.runtime(clock: clock)
        _ = await runtime.engine.runCycle()
        let boId = try #require(fixture.suite.backOffice.receivedOrders.first?.id)
        try fixture.suite.backOffice.accept(boId)
        try store.update(
            "systemuser", id: EmulatorIdentities.applicationUserId, body: ["isintegrationuser": false], ifMatch: nil, caller: nil)
        let writesBefore = writes(fixture)
        // The check that allowed holds a minute; the next write after it checks again.
        clock.advance(by: 61)

        let report = await runtime.engine.runCycle()

        #expect(report.outcome == .inboundRefused)
        #expect(SyncExitCode(report.outcome) == .configuration)
        #expect(report.inbound.refusal?.contains("not an integration user") == true)
        #expect(report.inbound.refusal?.contains("isintegrationuser") == true)
        #expect(report.inbound.refusal?.contains("dataverse.impersonate.callerObjectId") == true)
        #expect(writes(fixture) == writesBefore)
        #expect(try runtime.journal.unfinishedInbound().count == 1, "the event waits in the journal")

        let refusedAgain = await runtime.engine.runCycle()
        #expect(refusedAgain.outcome == .inboundRefused, "the refusal holds until it is checked again")
        try store.update(
            "systemuser", id: EmulatorIdentities.applicationUserId, body: ["isintegrationuser": true], ifMatch: nil, caller: nil)
        clock.advance(by: 61)
        let fixed = await runtime.engine.runCycle()
        #expect(fixed.inbound.applied.count == 1, "once the user is an integration user again, the event applies")
        await fixture.suite.stop()
    }

    @Test func aPassWithNothingToWriteMakesNoDataverseRequest() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let runtime = try fixture.runtime()
        _ = await runtime.engine.runCycle()
        let before = fixture.suite.dataverse.requestCount
        let backOfficeBefore = fixture.suite.backOffice.requestCount

        let report = await runtime.engine.runCycle(.inbound)

        #expect(report.inbound.refusal == nil && report.inbound.readError == nil)
        #expect(fixture.suite.dataverse.requestCount == before, "the acting user was checked at the first pass")
        #expect(fixture.suite.backOffice.requestCount == backOfficeBefore + 1, "one read of the change feed")
        await fixture.suite.stop()
    }

    @Test func impersonatingAnIntegrationUserWritesAsThatUserOnBehalfOfSopd() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let store = fixture.suite.dataverse.store
        try store.update(
            "systemuser", id: EmulatorIdentities.applicationUserId, body: ["isintegrationuser": false], ifMatch: nil, caller: nil)
        let runtime = try fixture.runtime(["dataverse.impersonate.callerObjectId": EmulatorIdentities.integrationUserObjectId])
        _ = await runtime.engine.runCycle()
        let received = try #require(fixture.suite.backOffice.receivedOrders.first)
        try fixture.suite.backOffice.accept(received.id)

        let report = await runtime.engine.runCycle()

        #expect(report.inbound.refusal == nil)
        #expect(report.inbound.applied.count == 1)
        let orderId = try #require(received.document["dynamics"]?["salesOrderId"]?.stringValue)
        let order = try #require(store.row("salesorder", id: orderId))
        #expect(order["_modifiedby_value"]?.stringValue == EmulatorIdentities.integrationUserId)
        #expect(order["_modifiedonbehalfby_value"]?.stringValue == EmulatorIdentities.applicationUserId)
        await fixture.suite.stop()
    }

    @Test func eventsThatDoNotFitAreJournaledAsDeadWithTheReason() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        let backOffice = fixture.suite.backOffice
        try DemoData.seedCatalog(into: store)
        let first = try await fixture.submitOrderAsSalesperson(lines: [(1, 1)])
        let runtime = try fixture.runtime()
        _ = await runtime.engine.runCycle()
        let second = try await fixture.submitOrderAsSalesperson(lines: [(2, 1)])
        _ = await runtime.engine.runCycle()
        let orders = backOffice.receivedOrders
        let firstBO = try #require(orders.first { $0.document["dynamics"]?["salesOrderId"]?.stringValue == first }?.id)
        let secondBO = try #require(orders.first { $0.document["dynamics"]?["salesOrderId"]?.stringValue == second }?.id)

        backOffice.feed.appendRaw([
            "type": "accepted", "orderId": "BO-999999", "dynamicsOrderId": "d1000000-0000-0000-0000-000000099999",
            "orderNumber": "SO-99999", "data": [:],
        ])
        try backOffice.ship(firstBO, complete: true)
        try backOffice.accept(firstBO)
        try backOffice.accept(secondBO)
        try backOffice.end(secondBO, as: .canceled, reason: "customer withdrew")
        try backOffice.invoice(secondBO)

        let report = await runtime.engine.runCycle()

        let reasons = Dictionary(
            (report.inbound.failed + report.inbound.waiting).map { ($0.eventId, $0.reason) }, uniquingKeysWith: { first, _ in first })
        #expect(report.inbound.failed.count == 3)
        #expect(report.inbound.waiting.map(\.eventId) == ["evt-000003"])
        #expect(report.inbound.applied.map(\.type) == ["accepted", "canceled"])
        #expect(reasons["evt-000001"]?.contains("unknown order") == true)
        #expect(reasons["evt-000002"]?.contains("out of order: shipped before accepted") == true)
        #expect(reasons["evt-000003"]?.contains("waits for evt-000002") == true, "a later event of the same order is not applied")
        #expect(reasons["evt-000006"]?.contains("invoiced does not apply: the order is Canceled") == true)
        #expect(store.rows("invoice").isEmpty)
        #expect(store.row("salesorder", id: first)?["submitstatus"] == 1, "nothing of the blocked events was applied")
        let dead = try runtime.journal.transfers(state: .dead).filter { $0.direction == .inbound }
        #expect(dead.count == 3, "events that do not fit are permanent failures: dead until an operator retries them")
        #expect(dead.allSatisfy { $0.lastError?.isEmpty == false })
        #expect(try runtime.journal.transfers(state: .pending).filter { $0.direction == .inbound }.count == 1)
        #expect(SyncExitCode(report.outcome) == .transfersFailed)
        await fixture.suite.stop()
    }

    @Test func aConcurrentEditIsReadAgainReappliedAndJournaled() async throws {
        let fixture = try await SyncFixture()
        try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
        let orderId = try await fixture.submitOrderAsSalesperson(lines: [(1, 1)])
        let runtime = try fixture.runtime()
        _ = await runtime.engine.runCycle()
        let boId = try #require(fixture.suite.backOffice.receivedOrders.first?.id)
        try fixture.suite.backOffice.accept(boId)
        fixture.suite.dataverse.changeBeforeNextWrite(of: orderId)

        let report = await runtime.engine.runCycle()

        #expect(report.inbound.applied.map(\.type) == ["accepted"])
        #expect(fixture.suite.dataverse.store.row("salesorder", id: orderId)?["submitstatus"] == 2)
        let applied = try #require(try runtime.journal.transfers(state: .done).first { $0.direction == .inbound })
        #expect(applied.conflicts == 1)
        #expect(applied.attempts == 1)
        await fixture.suite.stop()
    }

    @Test func anInvoicedEventWhoseOrderChangesTwiceConvergesWithOneInvoiceAndOneNote() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        try DemoData.seedCatalog(into: store)
        let orderId = try await fixture.submitOrderAsSalesperson(lines: [(1, 2)])
        let clock = ManualClock()
        let runtime = try fixture.runtime([:], clock: clock, random: FixedRandom(0.5))
        _ = await runtime.engine.runCycle()
        let boId = try #require(fixture.suite.backOffice.receivedOrders.first?.id)
        _ = try fixture.suite.backOffice.accept(boId)
        _ = try fixture.suite.backOffice.ship(boId, complete: true)
        _ = await runtime.engine.runCycle()
        _ = try fixture.suite.backOffice.invoice(boId)
        // The $batch meets the first change; on its own, the event meets the second, reads again, and meets the third.
        fixture.suite.dataverse.changeBeforeNextWrite(of: orderId, times: 3)

        let conflicted = await runtime.engine.runCycle()
        #expect(conflicted.inbound.failed.map(\.type) == ["invoiced"], "412 in the $batch, then 412, read again, 412 again")
        let invoices = store.rows("invoice").filter { $0["_salesorderid_value"]?.stringValue == orderId }
        #expect(invoices.count == 0, "the invoice went with the order's change")
        let waiting = try #require(try runtime.journal.transfers(matching: TransferFilter(direction: .inbound)).first)
        #expect(waiting.state == .failed, "a conflict is retried, never dead")
        #expect(store.row("salesorder", id: orderId)?["statecode"] == .int(OrderState.fulfilled.rawValue))

        clock.advance(by: 5)
        let converged = await runtime.engine.runCycle()
        #expect(converged.inbound.applied.map(\.type) == ["invoiced"])
        #expect(store.row("salesorder", id: orderId)?["statecode"] == .int(OrderState.invoiced.rawValue))
        #expect(store.rows("invoice").filter { $0["_salesorderid_value"]?.stringValue == orderId }.count == 1)
        let subjects = annotations(fixture, order: orderId).compactMap { $0["subject"]?.stringValue }
        #expect(subjects.filter { $0 == "Invoiced" }.count == 1)
        #expect(subjects.count == 3, "one note per event: accepted, shipped, invoiced")
        #expect(try runtime.journal.backlog() == JournalBacklog())
        #expect(try runtime.journal.transfers(state: .dead).isEmpty)
        await fixture.suite.stop()
    }

    @Test func aRejectedOrderGoesBackToTheSalespersonAndItsResubmissionIsANewVersion() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        try DemoData.seedCatalog(into: store)
        let orderId = try await fixture.submitOrderAsSalesperson(lines: [(1, 3)])
        let runtime = try fixture.runtime()
        _ = await runtime.engine.runCycle()
        let first = try #require(fixture.suite.backOffice.receivedOrders.first)
        try fixture.suite.backOffice.end(first.id, as: .rejected, reason: "credit limit exceeded")

        _ = await runtime.engine.runCycle()

        let returned = try #require(store.row("salesorder", id: orderId))
        #expect(returned["statecode"] == 0)
        #expect(returned["statuscode"] == 2)
        #expect(returned["lastbackofficesubmit"] == .null)
        #expect(returned["submitstatus"] == 3)
        #expect(returned["submitstatusdescription"]?.stringValue?.contains("credit limit exceeded") == true)
        let seller = EmulatorIdentities.salesUserToken
        let line = try #require(lines(fixture, order: orderId).first?["salesorderdetailid"]?.stringValue)
        #expect(try await fixture.webAPI(.patch, "salesorderdetails(\(line))", body: ["quantity": 1], token: seller).status == 204)
        #expect(
            try await fixture.webAPI(.patch, "salesorders(\(orderId))", body: ["statecode": 1, "statuscode": 3], token: seller)
                .status == 204)

        let resubmitted = await runtime.engine.runCycle()

        #expect(resubmitted.delivered.count == 1)
        let received = fixture.suite.backOffice.receivedOrders
        #expect(received.count == 2)
        #expect(received[1].idempotencyKey != first.idempotencyKey)
        #expect(received[1].idempotencyKey.hasSuffix(":v2"))
        #expect(received[1].document["lines"]?.arrayValue?.first?["quantity"] == 1)
        #expect(received.allSatisfy { $0.deliveries == 1 })
        await fixture.suite.stop()
    }
}
