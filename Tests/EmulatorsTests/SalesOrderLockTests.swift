import Emulators
import HTTP
import JSON
import SalesRules
import SopdTestSupport
import Testing

/// The seed's story through the Web API: a salesperson builds and submits an order, which then is
/// read-only to them, while the integration user writes the back office's prices and they stay.
@Suite struct SalesOrderLockTests {
    private static let seller = EmulatorIdentities.salesUserToken
    private static let integration = EmulatorIdentities.applicationUserToken

    private func message(_ response: HTTPResponse) throws -> String {
        try JSONParser.parse(response.body)["error"]?["message"]?.stringValue ?? ""
    }

    private func createOrder(_ fixture: SyncFixture) async throws -> (order: String, line: String) {
        let order = try await fixture.webAPI(
            .post, "salesorders",
            body: [
                "name": "Warehouse refit", "customerid_account@odata.bind": .string("/accounts(\(DemoData.guid("ac", 1)))"),
                "pricelevelid@odata.bind": .string("/pricelevels(\(DemoData.priceListId))"),
                "transactioncurrencyid@odata.bind": .string("/transactioncurrencies(\(DemoData.currencyId))"),
                "freightamount": .number("15.00"),
            ], token: Self.seller, headers: ["Prefer": "return=representation"])
        #expect(order.status == 201)
        let orderId = try #require(try JSONParser.parse(order.body)["salesorderid"]?.stringValue)
        let line = try await fixture.webAPI(
            .post, "salesorderdetails",
            body: [
                "salesorderid@odata.bind": .string("/salesorders(\(orderId))"),
                "productid@odata.bind": .string("/products(\(DemoData.guid("dd", 2)))"), "quantity": 4,
                "uomid@odata.bind": .string("/uoms(\(DemoData.unitId))"),
            ], token: Self.seller, headers: ["Prefer": "return=representation"])
        #expect(line.status == 201)
        let lineRow = try JSONParser.parse(line.body)
        #expect(lineRow["priceperunit"] == .number("129.90"), "priced from the price list")
        #expect(lineRow["baseamount"] == .number("519.60"))
        return (orderId, try #require(lineRow["salesorderdetailid"]?.stringValue))
    }

    @Test func aSubmittedOrderIsReadOnlyToTheSalespersonWhileTheIntegrationUsersPricesStick() async throws {
        let fixture = try await SyncFixture()
        try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
        let store = fixture.suite.dataverse.store
        let (orderId, lineId) = try await createOrder(fixture)
        #expect(store.row("salesorder", id: orderId)?["totalamount"] == .number("534.60"))

        let submit = try await fixture.webAPI(
            .patch, "salesorders(\(orderId))", body: ["statecode": 1, "statuscode": 3], token: Self.seller)
        #expect(submit.status == 204)
        let submitted = try #require(store.row("salesorder", id: orderId))
        #expect(submitted["statecode"] == 1)
        #expect(submitted["statuscode"] == 3)
        #expect(submitted["submitdate"]?.stringValue != nil)

        let refused = [
            try await fixture.webAPI(.patch, "salesorders(\(orderId))", body: ["name": "changed"], token: Self.seller),
            try await fixture.webAPI(
                .post, "salesorderdetails",
                body: [
                    "salesorderid@odata.bind": .string("/salesorders(\(orderId))"),
                    "productid@odata.bind": .string("/products(\(DemoData.guid("dd", 1)))"), "quantity": 1,
                    "uomid@odata.bind": .string("/uoms(\(DemoData.unitId))"),
                ], token: Self.seller),
            try await fixture.webAPI(.patch, "salesorderdetails(\(lineId))", body: ["quantity": 40], token: Self.seller),
            try await fixture.webAPI(.delete, "salesorderdetails(\(lineId))", token: Self.seller),
            try await fixture.webAPI(.delete, "salesorders(\(orderId))", token: Self.seller),
        ]
        for response in refused {
            #expect(response.status == 400)
            #expect(try message(response) == "Cannot perform the action because the record is read only")
            #expect(try JSONParser.parse(response.body)["error"]?["code"] == "0x80040265")
        }
        #expect(store.row("salesorder", id: orderId)?["name"] == "Warehouse refit")
        #expect(store.row("salesorderdetail", id: lineId)?["quantity"] == 4)

        let repriced = try await fixture.webAPI(
            .patch, "salesorderdetails(\(lineId))",
            body: [
                "priceperunit": .number("120.00"), "ispriceoverridden": true, "baseamount": .number("480.00"),
                "extendedamount": .number("518.40"), "tax": .number("38.40"),
            ], token: Self.integration)
        #expect(repriced.status == 204)
        let totals = try await fixture.webAPI(
            .patch, "salesorders(\(orderId))",
            body: ["totallineitemamount": .number("480.00"), "totaltax": .number("38.40"), "totalamount": .number("533.40")],
            token: Self.integration)
        #expect(totals.status == 204)
        let recalculate = try await fixture.webAPI(
            .post, "CalculatePrice",
            body: ["Target": ["@odata.type": "Microsoft.Dynamics.CRM.salesorder", "salesorderid": .string(orderId)]],
            token: Self.seller)
        #expect(recalculate.status == 204, "skipped while the switch is on and the order is submitted")

        let line = try #require(store.row("salesorderdetail", id: lineId))
        #expect(line["priceperunit"] == .number("120.00"))
        #expect(line["baseamount"] == .number("480.00"))
        #expect(line["extendedamount"] == .number("518.40"))
        let order = try #require(store.row("salesorder", id: orderId))
        #expect(order["totalamount"] == .number("533.40"))
        #expect(order["totallineitemamount"] == .number("480.00"))
        #expect(order["_modifiedby_value"]?.stringValue == EmulatorIdentities.applicationUserId)
        await fixture.suite.stop()
    }

    @Test func theSwitchDecidesSubmitAndInvoicesFromOrders() async throws {
        let fixture = try await SyncFixture(sopIntegrationEnabled: false)
        try DemoData.seedCatalog(into: fixture.suite.dataverse.store)
        let (orderId, _) = try await createOrder(fixture)

        let submitWhileOff = try await fixture.webAPI(
            .patch, "salesorders(\(orderId))", body: ["statecode": 1, "statuscode": 3], token: Self.seller)
        #expect(submitWhileOff.status == 400)
        #expect(try message(submitWhileOff).contains("only while sales order processing integration is on"))

        let invoiceWhileOff = try await fixture.webAPI(
            .post, "ConvertSalesOrderToInvoice", body: ["SalesOrderId": .string(orderId), "ColumnSet": ["AllColumns": true]],
            token: Self.seller)
        #expect(invoiceWhileOff.status == 200)
        let invoice = try JSONParser.parse(invoiceWhileOff.body)
        #expect(invoice["_salesorderid_value"]?.stringValue == orderId)
        #expect(invoice["totalamount"] == .number("534.60"))
        let invoiceId = try #require(invoice["invoiceid"]?.stringValue)
        let invoiceLines = fixture.suite.dataverse.store.rows("invoicedetail").filter {
            $0["_invoiceid_value"]?.stringValue == invoiceId
        }
        #expect(invoiceLines.count == 1)
        #expect(invoiceLines.first?["baseamount"] == .number("519.60"))

        let organization = "organizations(\(EmulatorIdentities.organizationId))"
        #expect(try await fixture.webAPI(.patch, organization, body: ["issopintegrationenabled": true]).status == 204)
        let invoiceWhileOn = try await fixture.webAPI(
            .post, "ConvertSalesOrderToInvoice", body: ["SalesOrderId": .string(orderId)], token: Self.seller)
        #expect(invoiceWhileOn.status == 400)
        #expect(try message(invoiceWhileOn).contains("Invoices cannot be created from orders"))

        let stateByUpdate = try await fixture.webAPI(
            .patch, "salesorders(\(orderId))", body: ["statecode": 3, "statuscode": 100001], token: Self.integration)
        #expect(stateByUpdate.status == 400)
        #expect(try message(stateByUpdate).contains("FulfillSalesOrder"))
        await fixture.suite.stop()
    }
}
