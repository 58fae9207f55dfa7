import Emulators
import Foundation
import JSON
import Journal
import SalesRules
import SopdTestSupport
import Sync
import Testing
import Transfers

/// Dataverse as a broken or hostile peer for the outbound read: links that leave the organization
/// or loop, reads that never end, rows that cannot be mapped. The token goes to the organization only.
@Suite struct HostileDataverseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// The answer to the `salesorders` read number `page` (from 1), given the organization URL and another host's.
        var page: @Sendable (_ page: Int, _ organization: String, _ elsewhere: String) -> HostilePeer.Reply
        /// What the read error says, or nil when the read must end cleanly.
        var reason: String?
        var testDescription: String { name }
    }

    static let api = "/api/data/v9.2"

    static func collection(_ rows: [String] = [], nextLink: String? = nil) -> HostilePeer.Reply {
        .http(200, #"{"value":[\#(rows.joined(separator: ","))]\#(nextLink.map { #","@odata.nextLink":"\#($0)""# } ?? "")}"#)
    }

    static let cases: [Case] = [
        Case(name: "a nextLink to another host", page: { _, _, elsewhere in collection(nextLink: "\(elsewhere)\(api)/salesorders?page=2") }, reason: "refused to follow the @odata.nextLink"),
        Case(name: "a nextLink to another port", page: { _, organization, _ in
            collection(nextLink: organization.replacingOccurrences(of: "127.0.0.1:", with: "127.0.0.1:1") + "\(api)/salesorders")
        }, reason: "refused to follow"),
        Case(name: "a nextLink over https to the same host", page: { _, organization, _ in
            collection(nextLink: organization.replacingOccurrences(of: "http://", with: "https://") + "\(api)/salesorders")
        }, reason: "refused to follow"),
        Case(name: "a nextLink with user information", page: { _, organization, _ in
            collection(nextLink: organization.replacingOccurrences(of: "http://", with: "http://evil@") + "\(api)/salesorders")
        }, reason: "refused to follow"),
        Case(name: "a nextLink outside the Web API", page: { _, organization, _ in collection(nextLink: "\(organization)/_admin/dump") }, reason: "refused to follow"),
        Case(name: "a nextLink with a line break", page: { _, organization, _ in collection(nextLink: "\(organization)\(api)/salesorders?x=1\\r\\nX-Injected: yes") }, reason: "refused to follow"),
        Case(name: "a nextLink pointing at itself", page: { _, organization, _ in collection(nextLink: "\(organization)\(api)/salesorders?page=2") }, reason: "already read in this cycle"),
        Case(name: "a read that never ends", page: { page, organization, _ in collection(nextLink: "\(organization)\(api)/salesorders?page=\(page + 1)") }, reason: nil),
        Case(name: "no value", page: { _, _, _ in .http(200, #"{"values":[]}"#) }, reason: "has no 'value'"),
        Case(name: "not JSON", page: { _, _, _ in .http(200, "<html>sign in</html>") }, reason: "is not JSON"),
        Case(name: "401 echoing the token", page: { _, _, _ in .http(401, #"{"error":{"code":"0x80040220","message":"Bearer sopd-app-token is not valid"}}"#) }, reason: "[redacted]"),
        Case(name: "429 with Retry-After 1e20", page: { _, _, _ in .http(429, #"{"error":{"code":"0x80072322","message":"limit"}}"#, headers: ["Retry-After: 100000000000000000000"]) }, reason: "throttled"),
        Case(name: "an endless body", page: { _, _, _ in .endless(head: Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"value\":[".utf8), chunk: Array(String(repeating: "{\"a\":1},", count: 1000).utf8)) }, reason: "answer too large"),
    ]

    /// Every case, one after the other: each holds emulator servers or processes, and a hundred at once
    /// would hold more Dispatch threads than libdispatch gives a process.
    @Test func aHostileReadEndsCleanlyAndTheTokenStaysHome() async throws {
        for hostile in Self.cases { try await check(hostile) }
    }

    private func check(_ hostile: Case) async throws {
        let elsewhere = try HostilePeer { _ in .http(200, #"{"value":[]}"#) }
        defer { elsewhere.stop() }
        let pages = Locked(0)
        let organization = Locked("")
        let peer = try HostilePeer { request in
            guard request.target.hasPrefix("\(Self.api)/salesorders") else {
                return request.target.contains("WhoAmI") ? .http(500, "{}") : .http(204)
            }
            return hostile.page(pages.withLock { $0 += 1; return $0 }, organization.value, elsewhere.url)
        }
        defer { peer.stop() }
        organization.value = peer.url
        let fixture = try await SyncFixture()
        let runtime = try fixture.runtime(["dataverse.url": peer.url, "dataverse.maxPagesPerCycle": "5", "dataverse.maxResponseBytes": "262144"])

        let report = await runtime.engine.runCycle()
        await fixture.suite.stop()

        #expect(elsewhere.requests.isEmpty, "the token went to another host")
        let reads = peer.requests.filter { $0.target.hasPrefix("\(Self.api)/salesorders") }
        if let reason = hostile.reason {
            let error = try #require(report.readError, "\(hostile.name): the read must fail").description
            #expect(error.contains(reason), "\(hostile.name): \(error)")
            #expect(!error.contains("sopd-app-token"))
            #expect(!error.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        } else {
            #expect(report.readError == nil)
            #expect(reads.count == 5, "dataverse.maxPagesPerCycle pages, then the next cycle")
        }
        #expect(reads.allSatisfy { !$0.headers.contains { $0.hasPrefix("X-Injected") } })
    }

    /// An order whose `order_details@odata.nextLink` leaves the organization is not sent with the lines it
    /// has: it is given up with the reason, the token stays home, and the other orders go out.
    @Test func anOrderWhoseLinesCannotBeReadToTheEndIsNotSent() async throws {
        let elsewhere = try HostilePeer { _ in .http(200, #"{"value":[]}"#) }
        defer { elsewhere.stop() }
        let order: @Sendable (Int, String?) -> String = { number, linesLink in
            let id = "d1000000-0000-0000-0000-00000000\(number)"
            let link = linesLink.map { #","order_details@odata.nextLink":"\#($0)""# } ?? ""
            return #"{"salesorderid":"\#(id)","ordernumber":"SO-0\#(number)","submitdate":"2026-11-21T09:00:00Z","customerid_account":{"name":"Fabrikam"},"transactioncurrencyid":{"isocurrencycode":"EUR"},"order_details":[{"lineitemnumber":1,"quantity":1,"priceperunit":5,"productdescription":"Bolt"}]\#(link)}"#
        }
        let peer = try HostilePeer { request in
            guard request.target.hasPrefix("\(Self.api)/salesorders?") else {
                return request.target.contains("WhoAmI") ? .http(500, "{}") : .http(204)
            }
            return Self.collection([order(7201, "\(elsewhere.url)\(Self.api)/salesorders(x)/order_details?$skiptoken=2"), order(7202, nil)])
        }
        defer { peer.stop() }
        let fixture = try await SyncFixture()
        let runtime = try fixture.runtime(["dataverse.url": peer.url])

        let report = await runtime.engine.runCycle()
        await fixture.suite.stop()

        #expect(elsewhere.requests.isEmpty, "the token went to another host")
        #expect(fixture.suite.backOffice.receivedOrders.map { $0.document["orderNumber"] } == ["SO-07202"])
        let failure = try #require(report.failed.first { $0.orderNumber == "SO-07201" })
        #expect(failure.reason.contains("not all lines of order SO-07201 could be read"))
    }

    /// A page of lines that fails (a 503, or a body that is not a page) fails the read, which the next cycle
    /// repeats: the order is not given up for a passing fault.
    @Test func aLinePageThatFailsFailsTheReadNotTheOrder() async throws {
        let organization = Locked("")
        let peer = try HostilePeer { request in
            if request.target.contains("/order_details") { return .http(200, "<html>maintenance</html>") }
            guard request.target.hasPrefix("\(Self.api)/salesorders?") else {
                return request.target.contains("WhoAmI") ? .http(500, "{}") : .http(204)
            }
            let link = "\(organization.value)\(Self.api)/salesorders(d1000000-0000-0000-0000-000000007301)/order_details?$skiptoken=2"
            return Self.collection([#"{"salesorderid":"d1000000-0000-0000-0000-000000007301","ordernumber":"SO-07301","order_details":[],"order_details@odata.nextLink":"\#(link)"}"#])
        }
        defer { peer.stop() }
        organization.value = peer.url
        let fixture = try await SyncFixture()
        let runtime = try fixture.runtime(["dataverse.url": peer.url])

        let report = await runtime.engine.runCycle()
        await fixture.suite.stop()

        #expect(report.readError?.description.contains("is not JSON") == true)
        #expect(try runtime.journal.transfers(matching: TransferFilter(direction: .outbound, limit: 10)).isEmpty, "nothing journaled, nothing given up")
        #expect(fixture.suite.backOffice.receivedOrders.isEmpty)
    }

    @Test func anOrderThatCannotBeMappedIsJournaledDeadAndGoesBackToTheSalesperson() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let store = fixture.suite.dataverse.store
        let orderId = try await fixture.submitOrderAsSalesperson(lines: [(product: 1, quantity: 2)])
        try store.update("salesorder", id: orderId, body: ["ordernumber": ""], ifMatch: nil, caller: nil)
        let runtime = try fixture.runtime()

        let report = await runtime.engine.runCycle()

        #expect(report.failed.contains { $0.reason.contains("has no ordernumber") })
        let transfers = try runtime.journal.transfers(matching: TransferFilter(direction: .outbound, limit: 100))
        let dead = try #require(transfers.first { $0.orderId == orderId })
        #expect(dead.state == .dead)
        #expect(dead.payload.isEmpty)
        #expect(dead.lastError?.contains("has no ordernumber") == true)
        let row = try #require(store.row("salesorder", id: orderId))
        #expect(row["submitstatus"] == .int(SubmitStatus.notSent.rawValue))
        #expect(row["submitstatusdescription"]?.stringValue?.contains("has no ordernumber") == true)
        #expect(row["statecode"] == .int(OrderState.active.rawValue), "back with the salesperson, as a refused order")
        #expect(!fixture.suite.backOffice.receivedOrders.contains { $0.document["dynamics"]?["salesOrderId"]?.stringValue == orderId })

        let again = await runtime.engine.runCycle()
        #expect(!again.failed.contains { $0.reason.contains("has no ordernumber") }, "not read again until submitted again")
        #expect(try runtime.journal.transfers(matching: TransferFilter(direction: .outbound, limit: 100)).filter { $0.orderId == orderId }.count == 1)
    }
}
