import JSON
import Sync
import Testing
import Transfers

@Suite struct OrderDocumentMapperTests {
    private let row: JSONValue = [
        "salesorderid": "d1000000-0000-0000-0000-000000001003", "ordernumber": "SO-01003", "name": "Order",
        "submitdate": "2026-11-21T09:00:00Z", "totalamount": .number("1404.00"), "freightamount": .number("15.00"),
        "shipto_city": "Portland", "billto_city": "Seattle",
        "customerid_account": ["name": "Adventure Works", "accountnumber": "A-1003"],
        "transactioncurrencyid": ["isocurrencycode": "USD"],
        "order_details": [
            ["lineitemnumber": 1, "quantity": 1, "priceperunit": .number("289.00"), "_productid_value": "p1",
                "productid": ["productnumber": "P-1004", "name": "Label printer"], "uomid": ["name": "Each"]],
            ["lineitemnumber": 2, "quantity": 1, "priceperunit": .number("75.00"), "productdescription": "Installation",
                "productid": nil],
        ],
    ]

    @Test func copiesAmountsDigitForDigitAndKeepsLineOrder() throws {
        let document = try OrderDocumentMapper.document(from: row)
        #expect(document["orderNumber"] == "SO-01003")
        #expect(document["totals"]?["totalAmount"] == .number("1404.00"))
        #expect(document["freightAmount"] == .number("15.00"))
        #expect(document["customer"]?["shipTo"]?["city"] == "Portland")
        #expect(document["customer"]?["billTo"]?["city"] == "Seattle")
        let lines = try #require(document["lines"]?.arrayValue)
        #expect(lines[0]["product"]?["number"] == "P-1004")
        #expect(lines[0]["unit"] == "Each")
        #expect(lines[0]["unitPrice"] == .number("289.00"))
        #expect(lines[1]["product"] == .null)
        #expect(lines[1]["description"] == "Installation")
    }

    @Test func linesGoOutInLineNumberOrderAndNeverCutShort() throws {
        var members = row.objectValue!
        members["order_details"] = [["lineitemnumber": 3], ["lineitemnumber": nil, "quantity": 9], ["lineitemnumber": 1], ["lineitemnumber": 2]]
        let lines = try #require(try OrderDocumentMapper.document(from: .object(members))["lines"]?.arrayValue)
        #expect(lines.map { $0["lineNumber"] } == [1, 2, 3, 4], "the unnumbered line goes last, numbered by its place")
        #expect(lines[3]["quantity"] == 9)

        members["order_details@odata.nextLink"] = "https://contoso.crm.dynamics.com/api/data/v9.2/salesorders(x)/order_details?$skiptoken=2"
        #expect(throws: OrderMappingError.self) { try OrderDocumentMapper.document(from: .object(members)) }
    }

    @Test func aRowWithoutOrderNumberCannotBecomeADocument() {
        var members = row.objectValue!
        members["ordernumber"] = nil
        #expect(throws: OrderMappingError.self) { try OrderDocumentMapper.document(from: .object(members)) }
    }

    @Test func keysAreStablePerSubmission() {
        let first = TransferKey.outbound(orderId: "ABC", submitDate: "2026-11-21T09:00:00Z")
        #expect(first == TransferKey.outbound(orderId: "abc", submitDate: "2026-11-21T09:00:00Z"))
        #expect(first != TransferKey.outbound(orderId: "abc", submitDate: "2026-11-22T09:00:00Z"))
    }
}
