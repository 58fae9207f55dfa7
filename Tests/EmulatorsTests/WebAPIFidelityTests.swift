import Emulators
import HTTP
import JSON
import SopdTestSupport
import Testing

/// What the Dataverse emulator accepts and refuses, held to Microsoft's Web API documentation: each
/// test names the page it follows.
@Suite struct WebAPIFidelityTests {
    private static let lines = "order_details($select=lineitemnumber;$expand=productid($select=name))"

    private func get(_ fixture: SyncFixture, _ path: String, headers: HTTPHeaders = [:]) async throws -> (Int, JSONValue) {
        let response = try await fixture.webAPI(.get, path, headers: headers)
        return (response.status, try JSONParser.parse(response.body))
    }

    /// "Join tables using the Web API", Expand collection-valued navigation properties: with a nested
    /// `$expand` anywhere, `$top` and `$orderby` are refused in expanded collections (0x80060888); in the
    /// expansion of a single-valued navigation property they are refused always.
    @Test func expandOptionsAreRefusedWhereDataverseRefusesThem() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let cases: [(query: String, status: Int)] = [
            ("$expand=order_details($select=quantity;$orderby=lineitemnumber;$expand=productid($select=name))", 400),
            ("$expand=order_details($select=quantity;$top=1;$expand=uomid($select=name))", 400),
            ("$expand=order_details($select=quantity;$expand=productid($select=name)),customerid_account($select=name)", 200),
            ("$expand=order_details($select=quantity),pricelevelid($select=name;$expand=transactioncurrencyid($select=isocurrencycode))", 200),
            ("$expand=order_details($select=quantity;$orderby=lineitemnumber),pricelevelid($select=name;$expand=transactioncurrencyid($select=isocurrencycode))", 400),
            ("$expand=customerid_account($select=name;$orderby=name)", 400),
            ("$expand=customerid_account($select=name;$top=1)", 400),
            ("$expand=order_details($select=quantity;$orderby=lineitemnumber desc;$top=1)", 200),
            ("$expand=customerid_account($select=name;$filter=name ne null)", 200),
        ]
        for (query, status) in cases {
            let (answered, body) = try await get(fixture, "salesorders?$select=ordernumber&" + query.replacingOccurrences(of: " ", with: "%20"))
            #expect(answered == status, "\(query)")
            if status == 400 {
                #expect(body["error"]?["code"] == "0x80060888", "\(query)")
                #expect(
                    body["error"]?["message"]
                        == "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship.",
                    "\(query)")
            }
        }
        await fixture.suite.stop()
    }

    /// Same page: with a nested `$expand` and `odata.maxpagesize`, each expanded collection is paged and
    /// its `<property>@odata.nextLink` reads the rest; without nesting, every related row comes back and
    /// the link names the same collection without paging.
    @Test func nestedExpansionsArePagedAndTheirLinksReadTheRest() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        try DemoData.seedCatalog(into: store)
        let orderId = try DemoData.addOrder(
            to: store, number: 7001, status: .inProgress, lines: (0..<5).map { .product($0, quantity: 1) })
        let prefer: HTTPHeaders = ["Prefer": "odata.maxpagesize=2"]

        var (status, body) = try await get(fixture, "salesorders(\(orderId))?$select=ordernumber&$expand=\(Self.lines)", headers: prefer)
        #expect(status == 200)
        var numbers = body["order_details"]?.arrayValue?.compactMap { $0["lineitemnumber"]?.intValue } ?? []
        #expect(numbers.count == 2)
        var next = body["order_details@odata.nextLink"]?.stringValue
        #expect(next?.hasPrefix("\(fixture.suite.dataverseServer.baseURL)/api/data/v9.2/salesorders(\(orderId))/order_details?") == true)
        var pages = 1
        while let link = next {
            let response = try await HTTPClient().response(
                for: HTTPRequest(
                    method: .get, url: link,
                    headers: ["Authorization": "Bearer \(EmulatorIdentities.applicationUserToken)", "Prefer": "odata.maxpagesize=2"]))
            #expect(response.status == 200)
            body = try JSONParser.parse(response.body)
            let rows = body["value"]?.arrayValue ?? []
            #expect(rows.allSatisfy { $0["productid"]?["name"]?.stringValue != nil }, "the link keeps the nested $expand")
            numbers += rows.compactMap { $0["lineitemnumber"]?.intValue }
            next = body["@odata.nextLink"]?.stringValue
            pages += 1
        }
        #expect(pages == 3)
        #expect(numbers.sorted() == [1, 2, 3, 4, 5])

        (status, body) = try await get(
            fixture, "salesorders(\(orderId))?$select=ordernumber&$expand=order_details($select=lineitemnumber)", headers: prefer)
        #expect(body["order_details"]?.arrayValue?.count == 5, "a single $expand is not paged")
        #expect(
            body["order_details@odata.nextLink"]?.stringValue
                == "\(fixture.suite.dataverseServer.baseURL)/api/data/v9.2/salesorders(\(orderId))/order_details?$select=lineitemnumber")
        await fixture.suite.stop()
    }

    /// Query strings are read as forms: `+` is a space, `%2B` a plus sign. Microsoft's Python SDK sends
    /// `$filter=LogicalName+eq+'salesorder'`, which real Dataverse accepts.
    @Test func aPlusInAQueryStringIsASpace() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        var (status, body) = try await get(fixture, "salesorders?$select=ordernumber&$filter=ordernumber+eq+'SO-01003'")
        #expect(status == 200)
        #expect(body["value"]?.arrayValue?.map { $0["ordernumber"] } == ["SO-01003"])
        (status, body) = try await get(fixture, "accounts?$select=name&$filter=name+eq+'A%2BB'")
        #expect(status == 200)
        #expect(body["value"]?.arrayValue?.isEmpty == true)
        (status, body) = try await get(fixture, "EntityDefinitions?$select=LogicalName&$filter=LogicalName+eq+'salesorder'")
        #expect(body["value"]?.arrayValue?.map { $0["LogicalName"] } == ["salesorder"])
        await fixture.suite.stop()
    }

    /// Links (`@odata.context`, `@odata.nextLink`) are absolute, with the scheme and host the client
    /// used; behind a TLS front that is `https://` and the front's host.
    @Test func linksUseTheSchemeAndHostTheClientUsed() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let (_, body) = try await get(
            fixture, "salesorders?$select=ordernumber",
            headers: ["Prefer": "odata.maxpagesize=3", "Host": "contoso.crm.example:8443", "X-Forwarded-Proto": "https"])
        let root = "https://contoso.crm.example:8443/api/data/v9.2/"
        #expect(body["@odata.context"]?.stringValue?.hasPrefix(root) == true)
        #expect(body["@odata.nextLink"]?.stringValue?.hasPrefix(root + "salesorders?") == true)
        await fixture.suite.stop()
    }

    /// Requests Dataverse refuses, refused with its status and code; and what it accepts from ordinary clients.
    @Test func documentedShapesAreAnsweredAsDataverseAnswersThem() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let cases: [(path: String, status: Int, code: String?)] = [
            ("EntityDefinitions(LogicalName='salesorder')?$select=SchemaName,PrimaryNameAttribute", 200, nil),
            ("EntityDefinitions(LogicalName='nosuchtable')", 404, "0x80040217"),
            ("EntityDefinitions(LogicalName='salesorder')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)", 200, nil),
            ("EntityDefinitions(LogicalName='salesorder')/Attributes/Microsoft.Dynamics.CRM.WidgetAttributeMetadata", 404, "0x8006088a"),
            ("salesorders(ordernumber='SO-01001')?$select=name", 200, nil),
            ("salesorders(ordernumber='SO-99999')", 404, "0x80040217"),
            ("salesorders(name='x')", 400, "0x80060888"),
            ("salesorders?$filter=Microsoft.Dynamics.CRM.In(PropertyName='statecode',PropertyValues=[\"1\",\"2\"])", 200, nil),
            ("salesorders?$filter=Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=7)", 400, "0x80060888"),
            ("salesorders?$filter=Microsoft.Dynamics.CRM.Between(PropertyName='totalamount',PropertyValues=['1'])", 400, "0x80060888"),
            ("salesorders?fetchXml=" + "<fetch><entity name='account'/></fetch>".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, 400, "0x80060888"),
            ("salesorders?fetchXml=" + "<fetch><entity name='salesorder'>".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, 400, "0x80060888"),
        ]
        for (path, status, code) in cases {
            let response = try await fixture.webAPI(.get, path)
            #expect(response.status == status, "\(path)")
            if let code { #expect(try JSONParser.parse(response.body)["error"]?["code"]?.stringValue == code, "\(path)") }
        }
        let created = try await fixture.webAPI(.post, "accounts", body: ["name": "No body back"])
        #expect(created.status == 204)
        #expect(created.headers["Content-Type"] == nil, "a 204 has no body and says no Content-Type")
        #expect(created.headers["OData-EntityId"]?.contains("/api/data/v9.2/accounts(") == true)
        let unknown = try await fixture.webAPI(.post, "accounts/Microsoft.Dynamics.CRM.DeleteMultiple", body: ["Targets": []])
        #expect(unknown.status == 404)
        #expect(try JSONParser.parse(unknown.body)["error"]?["code"] == "0x8006088a")
        let untyped = try await fixture.webAPI(.post, "accounts/Microsoft.Dynamics.CRM.CreateMultiple", body: ["Targets": [["name": "x"]]])
        #expect(untyped.status == 400, "each target names its table with @odata.type")
        await fixture.suite.stop()
    }
}
