import Emulators
import HTTP
import JSON
import SopdTestSupport
import Testing

/// The Dataverse emulator as a Web API client sees it, over loopback.
@Suite struct DataverseEmulatorTests {
    private func get(_ fixture: SyncFixture, _ path: String, headers: HTTPHeaders = [:]) async throws -> HTTPResponse {
        var all: HTTPHeaders = ["Authorization": "Bearer \(EmulatorIdentities.applicationUserToken)", "Accept": "application/json"]
        for field in headers { all[field.name] = field.value }
        return try await HTTPClient().response(
            for: HTTPRequest(method: .get, url: "\(fixture.suite.dataverseServer.baseURL)/api/data/v9.2/\(path)", headers: all))
    }

    @Test func anUnknownColumnIsA400ThatSaysWhatIsWrong() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let response = try await get(fixture, "salesorders?$select=ordernumber,colour")
        #expect(response.status == 400)
        let body = try JSONParser.parse(response.body)
        #expect(body["error"]?["code"] == "0x0", "as \"Troubleshoot Dataverse Web API client errors\" shows it")
        #expect(body["error"]?["message"]?.stringValue?.contains("'colour'") == true)
        await fixture.suite.stop()
    }

    @Test func hostileQueriesAre400sNotCrashes() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let hostile = [
            "$filter=statecode%20eq", "$filter=(((", "$filter=%27", "$filter=statecode%20eq%201%20and%20", "$top=-1",
            "$expand=order_details(", "$skiptoken=%25%25", "$orderby=name&$skiptoken=WzFd", "$skip=10",
        ]
        for query in hostile {
            let response = try await get(fixture, "salesorders?\(query)")
            #expect(response.status == 400)
            #expect(try JSONParser.parse(response.body)["error"]?["message"]?.stringValue?.isEmpty == false)
        }
        #expect(try await get(fixture, "WhoAmI").status == 200)
        await fixture.suite.stop()
    }

    @Test func anUnknownTokenIsA401AndAnUnknownSetA404() async throws {
        let fixture = try await SyncFixture()
        #expect(try await get(fixture, "WhoAmI", headers: ["Authorization": "Bearer nope"]).status == 401)
        let missing = try await get(fixture, "widgets")
        #expect(missing.status == 404)
        #expect(try JSONParser.parse(missing.body)["error"]?["message"] == "Resource not found for the segment 'widgets'.")
        await fixture.suite.stop()
    }

    @Test func expandsSelectsOrdersAndLimits() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let response = try await get(
            fixture,
            "salesorders?$select=ordernumber&$filter=statecode%20eq%200&$orderby=ordernumber%20desc&$top=2&$expand=order_details($select=quantity),customerid_account($select=name)"
        )
        #expect(response.status == 200)
        let rows = try #require(try JSONParser.parse(response.body)["value"]?.arrayValue)
        #expect(rows.map { $0["ordernumber"] } == ["SO-01015", "SO-01014"])
        #expect(rows[0]["order_details"]?.arrayValue?.count == 1)
        #expect(rows[0]["customerid_account"]?["name"]?.stringValue != nil)
        #expect(rows[0]["@odata.etag"]?.stringValue?.hasPrefix("W/\"") == true)
        #expect(rows[0]["totalamount"] == nil)
        await fixture.suite.stop()
    }

    @Test func pagesFollowNextLinksToTheEnd() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        var seen: [String] = []
        var response = try await get(fixture, "salesorders?$select=ordernumber", headers: ["Prefer": "odata.maxpagesize=6"])
        while true {
            let body = try JSONParser.parse(response.body)
            seen += body["value"]?.arrayValue?.compactMap { $0["ordernumber"]?.stringValue } ?? []
            guard let next = body["@odata.nextLink"]?.stringValue else { break }
            #expect(next.contains("$skiptoken="))
            response = try await HTTPClient().response(
                for: HTTPRequest(
                    method: .get, url: next,
                    headers: ["Authorization": "Bearer \(EmulatorIdentities.applicationUserToken)", "Prefer": "odata.maxpagesize=6"]))
        }
        #expect(seen.count == 20)
        #expect(Set(seen).count == 20)
        await fixture.suite.stop()
    }

    @Test func writesHonourETagsAndPrefer() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let orderId = DemoData.guid("d1", 1001)
        let url = "\(fixture.suite.dataverseServer.baseURL)/api/data/v9.2/salesorders(\(orderId))"
        let auth = "Bearer \(EmulatorIdentities.applicationUserToken)"
        let client = HTTPClient()
        let stale = try await client.response(
            for: HTTPRequest(method: .patch, url: url, headers: ["Authorization": auth, "If-Match": "W/\"1\""], body: Array(#"{"submitstatus":2}"#.utf8)))
        #expect(stale.status == 412)
        #expect(try JSONParser.parse(stale.body)["error"]?["code"] == "0x80060882")
        let updated = try await client.response(
            for: HTTPRequest(
                method: .patch, url: url,
                headers: ["Authorization": auth, "If-Match": "*", "Prefer": "return=representation"],
                body: Array(#"{"submitstatus":2,"totalamount":1.00,"versionnumber":1}"#.utf8)))
        #expect(updated.status == 200)
        let row = try JSONParser.parse(updated.body)
        #expect(row["submitstatus"] == 2)
        #expect(row["ordernumber"] == "SO-01001")
        #expect(row["totalamount"] == .number("1.00"), "totals are valid for update")
        #expect(row["versionnumber"] != 1, "a read-only column is ignored")
        #expect(row["_modifiedby_value"]?.stringValue == EmulatorIdentities.applicationUserId)
        let badType = try await client.response(
            for: HTTPRequest(method: .patch, url: url, headers: ["Authorization": auth, "If-Match": "*"], body: Array(#"{"submitstatus":"two"}"#.utf8)))
        #expect(badType.status == 400)
        await fixture.suite.stop()
    }
}

/// What standard Dataverse clients read besides rows.
@Suite struct DataverseMetadataTests {
    @Test func entityDefinitionsResolveATable() async throws {
        let fixture = try await SyncFixture()
        let response = try await fixture.webAPI(
            .get, "EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute&$filter=LogicalName%20eq%20'salesorder'")
        #expect(response.status == 200)
        let rows = try #require(try JSONParser.parse(response.body)["value"]?.arrayValue)
        #expect(rows.count == 1)
        #expect(rows.first?["EntitySetName"] == "salesorders")
        #expect(rows.first?["PrimaryIdAttribute"] == "salesorderid")
        await fixture.suite.stop()
    }

    @Test func formattedValuesComeWhenAskedFor() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let path = "salesorders(\(DemoData.guid("d1", 1001)))?$select=statecode,statuscode,totalamount,_customerid_value,ispricelocked"
        let plain = try JSONParser.parse(try await fixture.webAPI(.get, path).body)
        #expect(plain["statecode@OData.Community.Display.V1.FormattedValue"] == nil)
        let annotated = try JSONParser.parse(
            try await fixture.webAPI(.get, path, headers: ["Prefer": "odata.include-annotations=\"*\""]).body)
        #expect(annotated["statecode@OData.Community.Display.V1.FormattedValue"] == "Submitted")
        #expect(annotated["statuscode@OData.Community.Display.V1.FormattedValue"] == "In Progress")
        #expect(annotated["_customerid_value@OData.Community.Display.V1.FormattedValue"] == "Northwind Traders")
        #expect(annotated["totalamount@OData.Community.Display.V1.FormattedValue"] == "$1,197.60")
        await fixture.suite.stop()
    }
}
