import ChildProcess
import Emulators
import HTTP
import JSON

extension SyncFixture {
    /// What a salesperson does in Dynamics: creates an order for the first demo account on the demo
    /// price list, adds a line per `(product number, quantity)` (catalog product `dd…<n>`), and submits it.
    /// - Returns: The order's id.
    public func submitOrderAsSalesperson(
        lines: [(product: Int, quantity: Int)], freight: String = "15.00", orderNumber: String = "SO-07001"
    ) async throws -> String {
        let seller = EmulatorIdentities.salesUserToken
        let created = try await webAPI(
            .post, "salesorders",
            body: [
                "name": "Order by Sam", "customerid_account@odata.bind": .string("/accounts(\(DemoData.guid("ac", 1)))"),
                "pricelevelid@odata.bind": .string("/pricelevels(\(DemoData.priceListId))"),
                "transactioncurrencyid@odata.bind": .string("/transactioncurrencies(\(DemoData.currencyId))"),
                "freightamount": .number(freight), "ordernumber": .string(orderNumber),
            ], token: seller, headers: ["Prefer": "return=representation"])
        guard created.status == 201, let orderId = try JSONParser.parse(created.body)["salesorderid"]?.stringValue else {
            throw BuiltProcessError(message: "creating the order failed: \(created.status) \(created.bodyText)")
        }
        for (index, line) in lines.enumerated() {
            let added = try await webAPI(
                .post, "salesorderdetails",
                body: [
                    "salesorderid@odata.bind": .string("/salesorders(\(orderId))"),
                    "productid@odata.bind": .string("/products(\(DemoData.guid("dd", line.product)))"),
                    "uomid@odata.bind": .string("/uoms(\(DemoData.unitId))"), "quantity": .int(line.quantity), "lineitemnumber": .int(index + 1),
                ], token: seller)
            guard added.isSuccess else { throw BuiltProcessError(message: "adding a line failed: \(added.bodyText)") }
        }
        let submitted = try await webAPI(
            .patch, "salesorders(\(orderId))", body: ["statecode": 1, "statuscode": 3], token: seller)
        guard submitted.isSuccess else { throw BuiltProcessError(message: "submitting failed: \(submitted.bodyText)") }
        return orderId
    }
}
