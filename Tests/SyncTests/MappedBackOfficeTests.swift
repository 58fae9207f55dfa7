import BackOffice
import Emulators
import Foundation
import JSON
import Journal
import SalesRules
import SopdTestSupport
import Sync
import Testing

/// The `http-mapping` and `business-central` adapters end to end in-process: the real curl client, a real SQLite
/// journal, the Dataverse emulator, and Fabrikam ERP or the Business Central emulator.
@Suite struct MappedBackOfficeTests {
    private static func fabrikam(_ fixture: SyncFixture, mapping: String? = nil, _ more: [String: String] = [:]) -> [String: String] {
        [
            "backoffice.adapter": "http-mapping", "backoffice.mapping": mapping ?? PackageFiles.path("docs/examples/fabrikam-erp.yaml"),
            "backoffice.url": fixture.erps!.fabrikamServer.baseURL, "backoffice.token": FabrikamERP.token,
        ].merging(more) { _, new in new }
    }

    private static func businessCentral(_ fixture: SyncFixture) -> [String: String] {
        let base = fixture.erps!.businessCentralServer.baseURL
        return [
            "backoffice.adapter": "business-central", "backoffice.url": BusinessCentralEmulator.companyURL(baseURL: base),
            "backoffice.allowInsecureHTTP": "true", "backoffice.tokenURL": BusinessCentralEmulator.tokenURL(baseURL: base),
            "backoffice.clientId": EmulatorIdentities.businessCentralClientId,
            "backoffice.clientSecret": EmulatorIdentities.businessCentralClientSecret,
        ]
    }

    private static func order(_ fixture: SyncFixture, _ number: String) -> [String: JSONValue]? {
        fixture.suite.dataverse.store.rows("salesorder").first { $0["ordernumber"]?.stringValue == number }
    }

    private static func state(_ fixture: SyncFixture, _ number: String) -> OrderState? {
        order(fixture, number)?["statecode"]?.intValue.flatMap(OrderState.init(rawValue:))
    }

    /// The ERP's order ids by Dynamics order number, each number once (a second order would be a duplicate).
    private static func fabrikamOrders(_ fixture: SyncFixture) -> [String: String] {
        var ids: [String: String] = [:]
        for order in fixture.erps!.fabrikam.orders {
            let reference = order["reference"]?.stringValue ?? "?"
            #expect(ids[reference] == nil, "\(reference) reached Fabrikam twice")
            ids[reference] = order["id"]?.stringValue
        }
        return ids
    }

    @Test func anOrdersWholeLifeThroughAMapping() async throws {
        let fixture = try await SyncFixture(seedDemoData: true, erps: true)
        let runtime = try fixture.runtime(Self.fabrikam(fixture))
        let first = await runtime.engine.runCycle()
        #expect(first.delivered.count == 8)
        #expect(first.failed.map(\.orderNumber) == ["SO-01010"], "the order without lines is refused by Fabrikam's rules")
        #expect(Self.state(fixture, "SO-01010") == .active, "and goes back to the salesperson")
        let ids = Self.fabrikamOrders(fixture)
        #expect(ids.count == 8)
        let erp = fixture.erps!.fabrikam
        erp.setStatus(ids["SO-01001"]!, "confirmed")
        erp.setStatus(ids["SO-01001"]!, "shipped")
        erp.setStatus(ids["SO-01001"]!, "invoiced")
        erp.setStatus(ids["SO-01002"]!, "shipped")
        erp.setStatus(ids["SO-01003"]!, "cancelled", reason: "the customer withdrew")
        erp.setStatus(ids["SO-01004"]!, "refused", reason: "credit limit exceeded")
        let second = await runtime.engine.runCycle()
        #expect(second.inbound.failed.isEmpty, "\(second.inbound.failed)")
        #expect(Self.state(fixture, "SO-01001") == .invoiced)
        #expect(fixture.suite.dataverse.store.rows("invoice").contains { $0["invoicenumber"]?.stringValue == "FINV-000"  + ids["SO-01001"]!.suffix(3) })
        #expect(Self.state(fixture, "SO-01002") == .fulfilled, "first seen shipped: accepted and shipped both apply")
        #expect(Self.state(fixture, "SO-01003") == .canceled)
        #expect(Self.state(fixture, "SO-01004") == .active, "refused by the ERP: back with the salesperson")
        let third = await runtime.engine.runCycle()
        #expect(third.inbound.applied.isEmpty && third.inbound.failed.isEmpty, "a record read again makes nothing new")
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }

    @Test func aCreateWhoseAnswerNeverCameIsFoundByTheLookupNotSentAgain() async throws {
        let fixture = try await SyncFixture(erps: true)
        try DemoData.seedSubmittedOrders(1, into: fixture.suite.dataverse.store, withCatalog: true)
        let clock = ManualClock(Date())
        // The answer comes long after sopd's timeout, which is long enough for every other answer however busy the machine.
        let runtime = try fixture.runtime(Self.fabrikam(fixture, ["backoffice.timeoutSeconds": "5"]), clock: clock)
        fixture.erps!.fabrikam.inject(.commitThenHang(seconds: 60))
        let first = await runtime.engine.runCycle(.outbound)
        #expect(first.delivered.isEmpty && first.failed.count == 1, "the answer timed out")
        #expect(fixture.erps!.fabrikam.orders.count == 1, "but the ERP holds the order")
        let journaled = try #require(try runtime.journal.transfers().first { $0.direction == .outbound })
        #expect(journaled.createSentAt != nil, "the create was journaled before it went out")
        clock.advance(by: 600)
        let second = await runtime.engine.runCycle(.retries)
        #expect(second.delivered.count == 1)
        #expect(second.delivered.first?.backOfficeId == fixture.erps!.fabrikam.orders.first?["id"]?.stringValue)
        #expect(fixture.erps!.fabrikam.orders.count == 1, "found by the lookup, not created again")
        #expect(fixture.erps!.fabrikam.createsReceived == 1)
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }

    @Test func aCreateLostOnItsWayIsSentAgainOnlyOnceTheLookupHadTimeToSeeIt() async throws {
        let fixture = try await SyncFixture(erps: true)
        try DemoData.seedSubmittedOrders(1, into: fixture.suite.dataverse.store, withCatalog: true)
        let clock = ManualClock(Date())
        let runtime = try fixture.runtime(Self.fabrikam(fixture, ["backoffice.timeoutSeconds": "5"]), clock: clock)
        fixture.erps!.fabrikam.inject(.hang(seconds: 60))
        _ = await runtime.engine.runCycle(.outbound)
        #expect(fixture.erps!.fabrikam.orders.isEmpty)
        clock.advance(by: 30)
        let early = await runtime.engine.runCycle(.retries)
        #expect(early.delivered.isEmpty)
        #expect(early.failed.first?.reason.contains("create settling") == true, "\(early.failed)")
        #expect(fixture.erps!.fabrikam.createsReceived == 1, "no second create within outbound.settleSeconds")
        clock.advance(by: 600)
        let late = await runtime.engine.runCycle(.retries)
        #expect(late.delivered.count == 1)
        #expect(fixture.erps!.fabrikam.orders.count == 1)
        #expect(fixture.erps!.fabrikam.createsReceived == 2)
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }

    @Test func aRefusedOrderResubmittedIsCreatedAnewNotFoundAsTheRefusedOne() async throws {
        let fixture = try await SyncFixture(erps: true)
        try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
        let orderId = try await fixture.submitOrderAsSalesperson(lines: [(1, 3)])
        let runtime = try fixture.runtime(Self.fabrikam(fixture))
        _ = await runtime.engine.runCycle()
        let erp = fixture.erps!.fabrikam
        let first = try #require(erp.orders.first?["id"]?.stringValue)
        erp.setStatus(first, "refused", reason: "credit limit exceeded")
        _ = await runtime.engine.runCycle()
        #expect(fixture.suite.dataverse.store.row("salesorder", id: orderId)?["statecode"] == 0, "back with the salesperson")
        #expect(
            try await fixture.webAPI(
                .patch, "salesorders(\(orderId))", body: ["statecode": 1, "statuscode": 3], token: EmulatorIdentities.salesUserToken
            ).status == 204)
        let resubmitted = await runtime.engine.runCycle()
        #expect(resubmitted.delivered.count == 1)
        #expect(resubmitted.delivered.first?.backOfficeId != first, "the refused order is not this version")
        #expect(erp.orders.count == 2, "the refused order and the new version")
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }

    @Test func aSignedNotificationIsJournaledOnceAndApplied() async throws {
        let fixture = try await SyncFixture(seedDemoData: true, erps: true)
        let mapping = fixture.directory.file("hooked.yaml")
        try (try PackageFiles.text("docs/examples/fabrikam-erp.yaml") + (try PackageFiles.text("docs/examples/fabrikam-erp-webhook.yaml")))
            .write(toFile: mapping, atomically: true, encoding: .utf8)
        let runtime = try fixture.runtime(
            Self.fabrikam(
                fixture, mapping: mapping,
                ["backoffice.webhook.listen": "127.0.0.1:0", "backoffice.webhook.secret": "fabrikam-shared-secret-0123456789", "backoffice.webhook.allowInsecureHTTP": "true"]))
        _ = await runtime.engine.runCycle(.outbound)
        let intake = try #require(runtime.webhook)
        let id = try #require(Self.fabrikamOrders(fixture)["SO-01002"])
        let record = try #require(fixture.erps!.fabrikam.setStatus(id, "confirmed"))
        let body = JSONValue.object(["id": "evt_1", "type": "sales-order.updated", "data": record]).serialized()
        func post(_ body: [UInt8], at time: Date = Date(), secret: String = "fabrikam-shared-secret-0123456789") -> WebhookIntake.Answer {
            let timestamp = String(Int(time.timeIntervalSince1970))
            let headers = [
                "x-fabrikam-timestamp": timestamp,
                "x-fabrikam-signature": "sha256=" + WebhookSignature.sign(secret: secret, timestamp: timestamp, body: body),
            ]
            return intake.receive(method: "POST", path: "/webhooks/fabrikam", header: { headers[$0.lowercased()] }, body: body)
        }
        #expect(post(body).status == 202)
        #expect(post(body).status == 409, "a replay is refused")
        #expect(post(body, secret: "guess").status == 401)
        #expect(post(body, at: Date().addingTimeInterval(-3600)).status == 401, "too old")
        #expect(intake.receive(method: "POST", path: "/webhooks/fabrikam", header: { _ in nil }, body: body).status == 401)
        let applied = await runtime.engine.runCycle(.inbound)
        #expect(applied.inbound.applied.map(\.orderNumber) == ["SO-01002"])
        #expect(Self.order(fixture, "SO-01002")?["submitstatusdescription"]?.stringValue?.contains("Accepted") == true)
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }

    @Test func anOrdersWholeLifeThroughBusinessCentral() async throws {
        let fixture = try await SyncFixture(seedDemoData: true, erps: true)
        let runtime = try fixture.runtime(Self.businessCentral(fixture))
        let first = await runtime.engine.runCycle()
        let bc = fixture.erps!.businessCentral
        #expect(first.delivered.count == 7)
        #expect(Set(first.failed.map(\.orderNumber)) == ["SO-01004", "SO-01008"], "Business Central has no customer A-1004")
        #expect(first.failed.first?.reason.contains("The Customer does not exist") == true)
        #expect(Self.state(fixture, "SO-01004") == .active, "refused: back with the salesperson")
        let numbers = Dictionary(uniqueKeysWithValues: bc.salesOrders.map { ($0["externalDocumentNumber"]!.stringValue!, $0["number"]!.stringValue!) })
        #expect(numbers.count == 7, "one Business Central order per Dynamics order")
        let lines = bc.salesOrders.first { $0["externalDocumentNumber"] == "SO-01003" }?["salesOrderLines"]?.arrayValue ?? []
        #expect(lines.map { $0["lineType"]?.stringValue } == ["Item", "Comment"], "a write-in line is a comment line")
        bc.release(numbers["SO-01001"]!)
        bc.ship(numbers["SO-01001"]!, complete: false)
        bc.invoice(numbers["SO-01001"]!)
        bc.release(numbers["SO-01002"]!)
        bc.ship(numbers["SO-01002"]!, complete: true)
        let second = await runtime.engine.runCycle()
        #expect(second.inbound.failed.isEmpty, "\(second.inbound.failed)")
        #expect(Self.state(fixture, "SO-01001") == .invoiced, "invoiced, though Business Central deleted the order")
        let invoice = try #require(bc.salesInvoices.first)
        #expect(
            fixture.suite.dataverse.store.rows("invoice").first?["totalamount"]?.numberText == invoice["totalAmountIncludingTax"]?.numberText,
            "the invoice carries Business Central's total")
        #expect(Self.state(fixture, "SO-01002") == .fulfilled)
        let third = await runtime.engine.runCycle()
        #expect(third.delivered.isEmpty && third.inbound.applied.isEmpty && third.inbound.failed.isEmpty)
        #expect(bc.createsReceived == 9, "no order was created twice")
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }

    @Test func theIntakeFilterLeavesOrdersOutAndCountsThemAndExtraColumnsTravel() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let runtime = try fixture.runtime([
            "intake.filter": "new_channel eq 'web'", "document.extraColumns.order": "new_channel, new_customerpo",
            "document.extraColumns.lines": "new_giftwrap",
        ])
        let report = await runtime.engine.runCycle(.outbound)
        let received = fixture.suite.backOffice.receivedOrders
        #expect(!received.isEmpty)
        #expect(received.allSatisfy { $0.document["extra"]?["new_channel"] == "web" })
        #expect(received.first?.document["extra"]?["new_customerpo"]?.stringValue?.hasPrefix("PO-") == true)
        #expect(received.first?.document["lines"]?.arrayValue?.first?["extra"]?["new_giftwrap"] == .null)
        let phone = fixture.suite.dataverse.store.rows("salesorder").filter {
            $0["statecode"] == 1 && $0["lastbackofficesubmit"] == nil && $0["new_channel"] == "phone"
        }
        #expect(!phone.isEmpty)
        #expect(try runtime.journal.excludedOrders()?.count == phone.count, "every order left out is counted")
        #expect(report.delivered.count == received.count)
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }
}
