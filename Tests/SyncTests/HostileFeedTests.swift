import Emulators
import Foundation
import Journal
import SopdTestSupport
import Sync
import Testing
import Transfers

/// The back office's change feed as a broken or hostile peer: every page is checked before it is
/// journaled; a bad one stops the read with a clear reason, leaves the cursor where it was, and sopd goes on.
@Suite struct HostileFeedTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// The page after `cursor`.
        var page: @Sendable (_ cursor: String) -> HostilePeer.Reply
        /// What the read error says, or nil when the read must end cleanly.
        var reason: String?
        var testDescription: String { name }
    }

    static func event(_ sequence: Int, id: String? = nil, extra: String = "") -> String {
        #"{"id":"\#(id ?? "evt-\(sequence)")","sequence":\#(sequence),"type":"accepted","orderId":"BO-\#(sequence)"\#(extra)}"#
    }

    static func page(_ events: [String], next: String) -> HostilePeer.Reply {
        .http(200, #"{"events":[\#(events.joined(separator: ","))],"next":"\#(next)"}"#)
    }

    static let cases: [Case] = [
        Case(name: "no events", page: { _ in .http(200, #"{"next":"1"}"#) }, reason: "has no events or next cursor"),
        Case(name: "no next cursor", page: { _ in .http(200, #"{"events":[]}"#) }, reason: "has no events or next cursor"),
        Case(name: "a numeric next cursor", page: { _ in .http(200, #"{"events":[],"next":7}"#) }, reason: "has no events or next cursor"),
        Case(name: "a cursor with NUL", page: { _ in page([event(1)], next: "1\\u0000tail") }, reason: "is not a printable identifier"),
        Case(name: "a cursor with a line break", page: { _ in page([event(1)], next: "1\\nfake") }, reason: "is not a printable identifier"),
        Case(name: "a cursor of 300 characters", page: { _ in page([event(1)], next: String(repeating: "9", count: 300)) }, reason: "is not a printable identifier"),
        Case(name: "an event without id", page: { _ in page([#"{"sequence":1,"type":"accepted","orderId":"BO-1"}"#], next: "1") }, reason: "lacks an id"),
        Case(name: "an event id with a line break", page: { _ in page([event(1, id: "evt-1\\nfake line")], next: "1") }, reason: "not a printable identifier"),
        Case(name: "an event id with an escape sequence", page: { _ in page([event(1, id: "\\u001b[2J")], next: "1") }, reason: "not a printable identifier"),
        Case(name: "an event id that is not UTF-8", page: { _ in .http(200, Array(#"{"events":[{"id":"e"#.utf8) + [0xC3, 0x28] + Array(#"","sequence":1,"type":"accepted","orderId":"BO-1"}],"next":"1"}"#.utf8)) }, reason: "not a printable identifier"),
        Case(name: "a dynamicsOrderId that is not a GUID", page: { _ in page([event(1, extra: #","dynamicsOrderId":"x) or (1 eq 1""#)], next: "1") }, reason: "not a printable identifier"),
        Case(name: "a dynamicsLineId that is not a GUID", page: { _ in page([event(1, extra: #","data":{"lines":[{"dynamicsLineId":"x)/../accounts(1"}]}"#)], next: "1") }, reason: "is not a GUID"),
        Case(name: "a negative sequence", page: { _ in page([#"{"id":"e","sequence":-1,"type":"accepted","orderId":"BO-1"}"#], next: "1") }, reason: "lacks an id, sequence"),
        Case(name: "a sequence as text", page: { _ in page([#"{"id":"e","sequence":"1","type":"accepted","orderId":"BO-1"}"#], next: "1") }, reason: "lacks an id, sequence"),
        Case(name: "an order number of 500 characters", page: { _ in page([event(1, extra: #","orderNumber":"\#(String(repeating: "N", count: 500))""#)], next: "1") }, reason: "not a printable identifier"),
        Case(name: "events that are numbers", page: { _ in page(Array(repeating: "1", count: 1000), next: "1") }, reason: "lacks an id"),
        Case(name: "HTML instead of JSON", page: { _ in .http(200, "<html><body>Login</body></html>", headers: ["Content-Type: text/html"]) }, reason: "has no events or next cursor"),
        Case(name: "nesting 50000 deep", page: { _ in .http(200, String(repeating: "[", count: 50_000)) }, reason: "has no events or next cursor"),
        Case(name: "an endless body", page: { _ in .endless(head: Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"events\":[".utf8), chunk: Array(String(repeating: event(1) + ",", count: 200).utf8)) }, reason: "answer too large"),
        Case(name: "a cursor that stands still", page: { cursor in page([event((Int(cursor) ?? 0) + 1)], next: cursor) }, reason: "did not move"),
        Case(name: "a cursor that moves backwards", page: { cursor in cursor == "0" ? page([event(5)], next: "5") : page([event(6)], next: "3") }, reason: "moved backwards"),
        Case(name: "sequences that go backwards", page: { cursor in cursor == "0" ? page([event(5)], next: "a") : page([event(3)], next: "b") }, reason: "not after 5"),
        Case(name: "500 echoing the token", page: { _ in .http(500, #"{"error":{"message":"token backoffice-token rejected"}}"#) }, reason: "HTTP 500"),
        Case(name: "429 with Retry-After 1e20", page: { _ in .http(429, "{}", headers: ["Retry-After: 100000000000000000000"]) }, reason: "HTTP 429"),
        Case(name: "a feed that always has more", page: { cursor in
            let next = (Int(cursor) ?? 0) + 10
            return page(((next - 9)...next).map { event($0) }, next: "\(next)")
        }, reason: nil),
    ]

    /// Every case, one after the other: each holds emulator servers or processes, and a hundred at once
    /// would hold more Dispatch threads than libdispatch gives a process.
    @Test func aHostileFeedStopsTheReadWithAClearReason() async throws {
        for hostile in Self.cases { try await check(hostile) }
    }

    private func check(_ hostile: Case) async throws {
        let peer = try HostilePeer { request in
            let cursor = request.target.components(separatedBy: "after=").last?.components(separatedBy: "&").first ?? ""
            return hostile.page(cursor.removingPercentEncoding ?? cursor)
        }
        defer { peer.stop() }
        let fixture = try await SyncFixture()
        let log = CapturedLog(level: .debug)
        let runtime = try fixture.runtime(
            ["backoffice.url": peer.url, "backoffice.maxResponseBytes": "262144", "backoffice.maxEventsPerCycle": "50"],
            logger: log.logger)

        let report = await runtime.engine.runCycle()
        await fixture.suite.stop()

        let inbound = try runtime.journal.transfers(matching: TransferFilter(direction: .inbound, limit: 10_000))
        if let reason = hostile.reason {
            let error = try #require(report.inbound.readError, "\(hostile.name): the read must fail")
            #expect(error.contains(reason), "\(hostile.name): \(error)")
            #expect(!error.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "control character in \(error)")
            #expect(!error.contains("backoffice-token"))
            #expect(inbound.count <= 1, "the bad page is not journaled")
            #expect(try runtime.journal.cursor(InboundPipeline.cursorName) ?? "0" != "3")
        } else {
            #expect(report.inbound.readError == nil)
            #expect(report.inbound.eventsRead == 50, "one cycle reads up to backoffice.maxEventsPerCycle events")
            #expect(inbound.count == 50)
            #expect(try runtime.journal.cursor(InboundPipeline.cursorName) == "50")
        }
        #expect(!log.lines.contains { "\($0.message) \($0.metadata)".contains("backoffice-token") })
    }

    @Test func aRepeatedEventIdWithAnotherBodyIsJournaledAsADeadConflict() async throws {
        let peer = try HostilePeer { request in
            request.target.contains("after=0")
                ? Self.page([Self.event(1, id: "evt-x")], next: "1")
                : request.target.contains("after=1") ? Self.page([Self.event(2, id: "evt-x")], next: "2") : Self.page([], next: "2")
        }
        defer { peer.stop() }
        let fixture = try await SyncFixture()
        let runtime = try fixture.runtime(["backoffice.url": peer.url])

        _ = await runtime.engine.runCycle()

        let inbound = try runtime.journal.transfers(matching: TransferFilter(direction: .inbound, limit: 100))
        #expect(inbound.count == 2)
        let conflict = try #require(inbound.first { $0.idempotencyKey.hasPrefix("in:evt-x#") })
        #expect(conflict.state == .dead)
        #expect(conflict.lastError?.contains("journaled before with another body") == true)
        #expect(conflict.payload.contains("\"sequence\":2"))
        #expect(inbound.contains { $0.idempotencyKey == "in:evt-x" && $0.payload.contains("\"sequence\":1") })
        #expect(try runtime.journal.cursor(InboundPipeline.cursorName) == "2")
    }
}
