import Dataverse
import HTTP
import Emulators
import JSON
import SopdTestSupport
import Testing

/// The Dataverse client against the emulator over loopback.
@Suite struct DataverseClientTests {
    @Test func readsWhoAmITheSwitchAndTheIntegrationUserFlag() async throws {
        let fixture = try await SyncFixture()
        let client = fixture.dataverseClient()
        let me = try await onDispatchQueue { try client.whoAmI() }
        #expect(me.userId == EmulatorIdentities.applicationUserId)
        #expect(me.organizationId == EmulatorIdentities.organizationId)
        let settings = try await onDispatchQueue { try client.organizationSettings() }
        #expect(settings.isSOPIntegrationEnabled)
        let user = try await onDispatchQueue { try client.systemUser(me.userId) }
        #expect(user.isIntegrationUser)
        let seller = try await onDispatchQueue { try client.systemUser(EmulatorIdentities.salesUserId) }
        #expect(!seller.isIntegrationUser)
        await fixture.suite.stop()
    }

    @Test func pagesThroughEveryRow() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let client = fixture.dataverseClient()
        let numbers = try await onDispatchQueue {
            var page = try client.firstPage("salesorders", query: DataverseQuery(select: ["ordernumber"]), pageSize: 3)
            var numbers = page.rows.compactMap { $0["ordernumber"]?.stringValue }
            while let next = page.nextLink {
                page = try client.nextPage(next, pageSize: 3)
                numbers += page.rows.compactMap { $0["ordernumber"]?.stringValue }
            }
            return numbers
        }
        #expect(numbers.count == 20)
        #expect(numbers.sorted() == (1001...1020).map { "SO-0\($0)" })
        await fixture.suite.stop()
    }

    @Test func errorBodiesBecomeTypedErrors() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let client = fixture.dataverseClient()
        let badQuery = await #expect(throws: DataverseError.self) {
            try await onDispatchQueue {
                try client.firstPage("salesorders", query: DataverseQuery(filter: "statecode eq"), pageSize: 5)
            }
        }
        #expect(badQuery?.code == .rejected)
        #expect(badQuery?.status == 400)
        #expect(badQuery?.serviceCode == "0x80060888")
        let stale = await #expect(throws: DataverseError.self) {
            try await onDispatchQueue {
                try client.update("salesorders", id: DemoData.guid("d1", 1001), changes: ["submitstatus": 1], ifMatch: "W/\"7\"")
            }
        }
        #expect(stale?.code == .concurrencyConflict)
        let missing = await #expect(throws: DataverseError.self) {
            try await onDispatchQueue { try client.retrieve("salesorders", id: DemoData.guid("d1", 9999), select: ["name"]) }
        }
        #expect(missing?.code == .notFound)
        let unauthorized = await #expect(throws: DataverseError.self) {
            try await onDispatchQueue { try fixture.dataverseClient(token: "expired").whoAmI() }
        }
        #expect(unauthorized?.code == .unauthorized)
        #expect(unauthorized?.description.contains("expired") == false)
        await fixture.suite.stop()
    }

    @Test func anUnreachableOrganizationIsUnavailable() async throws {
        let fixture = try await SyncFixture()
        let closed = try ClosedPort()
        let client = DataverseClient(organizationURL: closed.url, http: HTTPClient(), tokens: StaticAccessToken("t"))
        let error = await #expect(throws: DataverseError.self) {
            try await onDispatchQueue { try client.whoAmI() }
        }
        #expect(error?.code == .unavailable)
        await fixture.suite.stop()
    }

    @Test func queryStringsAreEncodedForOData() {
        let query = DataverseQuery(
            select: ["name"], filter: "name eq 'A&B + C' and statecode eq 1",
            expand: [.init("order_details", select: ["quantity"], orderBy: "lineitemnumber")], top: 5)
        #expect(
            query.queryString
                == "$select=name&$filter=name%20eq%20'A%26B%20%2B%20C'%20and%20statecode%20eq%201&$expand=order_details($select=quantity;$orderby=lineitemnumber)&$top=5"
        )
    }
}
