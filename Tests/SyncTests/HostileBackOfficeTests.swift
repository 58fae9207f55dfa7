import Daemon
import Emulators
import Foundation
import Journal
import SopdTestSupport
import Testing
import Transfers

/// The back office as a broken or hostile peer, over loopback: whatever `POST /orders` answers, a
/// cycle ends, each order it touched is journaled failed or dead with a clear reason that holds no
/// secret and no control character, no date in the journal is unreadable, and sopd goes on.
@Suite struct HostileBackOfficeTests {
    /// One answer to `POST /orders`, and what the journaled reason must say.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var reply: @Sendable (HostilePeer.Request) -> HostilePeer.Reply
        var reason: String
        var testDescription: String { name }
    }

    static let secrets = [EmulatorIdentities.backOfficeCredentials.bearerToken, EmulatorIdentities.applicationUserToken]

    /// Bodies that echo the request back in the forms a peer might.
    static let echoes: [(String, @Sendable (HostilePeer.Request) -> [UInt8])] = [
        ("echoes the request as text", { Array($0.text.utf8) }),
        ("echoes Authorization in the error message", { request in
            Array(#"{"error":{"message":"bad credentials: \#(request.header("Authorization") ?? "")"}}"#.utf8)
        }),
        ("echoes Authorization in the reasons, with control characters", { request in
            Array(#"{"error":{"message":"refused\n\u001b[31mFAKE LINE","reasons":["\#(request.header("Authorization") ?? "")","line\r\nbreak"]}}"#.utf8)
        }),
        ("echoes the token base64- and URL-encoded", { request in
            let token = (request.header("Authorization") ?? "").replacingOccurrences(of: "Bearer ", with: "")
            let encoded = Data(token.utf8).base64EncodedString() + " " + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            return Array("token was \(encoded)".utf8)
        }),
        ("answers invalid UTF-8 and NUL bytes", { _ in [0xFF, 0xFE, 0x00, 0x41, 0xC3, 0x28, 0x0A, 0x1B] + Array("tail".utf8) }),
        ("answers nothing", { _ in [] }),
        ("answers 200 kB", { _ in [UInt8](repeating: UInt8(ascii: "A"), count: 200_000) }),
    ]

    static let cases: [Case] = {
        var cases: [Case] = []
        for status in [400, 401, 403, 404, 409, 410, 413, 422, 429, 500, 502, 503, 504] {
            for (name, body) in echoes {
                cases.append(Case(name: "\(status) \(name)", reply: { .http(status, body($0)) }, reason: "HTTP \(status)"))
            }
        }
        let id = { (value: String) in { @Sendable (_: HostilePeer.Request) in HostilePeer.Reply.http(201, value) } }
        cases += [
            Case(name: "a status line that is not HTTP", reply: { _ in .raw("NOT HTTP AT ALL\r\n\r\n") }, reason: "back office"),
            Case(name: "a status code that is not a number", reply: { _ in .raw("HTTP/1.1 abc Created\r\n\r\n") }, reason: "back office"),
            Case(name: "status 999", reply: { _ in .http(999, "{}") }, reason: "HTTP 999"),
            Case(name: "the connection closes at once", reply: { _ in .close }, reason: "back office unavailable"),
            Case(name: "201 with no body", reply: id(""), reason: "carries no order id"),
            Case(name: "201 with broken JSON", reply: id("{"), reason: "carries no order id"),
            Case(name: "201 with an empty id", reply: id(#"{"id":""}"#), reason: "not a printable identifier"),
            Case(name: "201 with an id holding a line break", reply: id(#"{"id":"BO-1\nfake line"}"#), reason: "not a printable identifier"),
            Case(name: "201 with an id of 1000 characters", reply: id(#"{"id":"\#(String(repeating: "x", count: 1000))"}"#), reason: "not a printable identifier"),
            Case(name: "201 with a numeric id", reply: id(#"{"id":42}"#), reason: "carries no order id"),
            Case(name: "201 with an id that is not UTF-8", reply: { _ in .http(201, Array(#"{"id":"BO-"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)) }, reason: "order id"),
            Case(name: "201 nested 100000 deep", reply: id(String(repeating: "[", count: 100_000)), reason: "carries no order id"),
            Case(name: "204 No Content", reply: { _ in .http(204) }, reason: "carries no order id"),
            Case(name: "a body shorter than its Content-Length", reply: { _ in .raw("HTTP/1.1 201 Created\r\nContent-Length: 500\r\n\r\n{\"id\":") }, reason: "back office unavailable"),
            Case(name: "an endless body", reply: { _ in .endless(head: Array("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n".utf8), chunk: [UInt8](repeating: 0x20, count: 65_536)) }, reason: "answer too large"),
            Case(name: "endless header lines", reply: { _ in .endless(head: Array("HTTP/1.1 201 Created\r\n".utf8), chunk: Array("X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".utf8)) }, reason: "answer too large"),
            Case(name: "a broken chunked body", reply: { _ in .raw("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n") }, reason: "back office unavailable"),
            Case(name: "gzip that is not gzip", reply: { _ in .http(201, "{\"id\":\"BO-1\"}", headers: ["Content-Encoding: gzip"]) }, reason: "back office unavailable"),
            Case(name: "429 with Retry-After 99999999999999999999", reply: { _ in .http(429, "{}", headers: ["Retry-After: 99999999999999999999"]) }, reason: "HTTP 429"),
            Case(name: "429 with a negative Retry-After", reply: { _ in .http(429, "{}", headers: ["Retry-After: -5"]) }, reason: "HTTP 429"),
            Case(name: "429 with Retry-After nan", reply: { _ in .http(429, "{}", headers: ["Retry-After: nan"]) }, reason: "HTTP 429"),
            Case(name: "429 with an HTTP-date Retry-After", reply: { _ in .http(429, "{}", headers: ["Retry-After: Wed, 21 Oct 2015 07:28:00 GMT"]) }, reason: "HTTP 429"),
            Case(name: "a redirect to another host", reply: { _ in .http(307, "", headers: ["Location: http://127.0.0.2:9/orders"]) }, reason: "HTTP 307"),
            Case(name: "an interim 100 then garbage", reply: { _ in .raw("HTTP/1.1 100 Continue\r\n\r\n\u{1}\u{2}garbage") }, reason: "back office"),
        ]
        return cases
    }()

    @Test func thereAreAtLeastAHundredCases() {
        #expect(Self.cases.count >= 100)
    }

    /// Every case, one after the other: each holds emulator servers or processes, and a hundred at once
    /// would hold more Dispatch threads than libdispatch gives a process.
    @Test func aHostileAnswerFailsItsTransferCleanly() async throws {
        for hostile in Self.cases { try await check(hostile) }
    }

    private func check(_ hostile: Case) async throws {
        let peer = try HostilePeer { request in
            request.target.hasPrefix("/changes") ? .http(200, #"{"events":[],"next":"0"}"#) : hostile.reply(request)
        }
        defer { peer.stop() }
        let fixture = try await SyncFixture(seedDemoData: true)
        let log = CapturedLog(level: .debug)
        let runtime = try fixture.runtime(["backoffice.url": peer.url, "backoffice.maxResponseBytes": "262144", "sync.maxInFlight": "2"], logger: log.logger)

        let report = await runtime.engine.runCycle()
        await fixture.suite.stop()

        #expect(report.delivered.isEmpty, "\(hostile.name)")
        let outbound = try runtime.journal.transfers(matching: TransferFilter(direction: .outbound, limit: 1000))
        #expect(!outbound.isEmpty)
        #expect(outbound.allSatisfy { [.pending, .failed, .dead].contains($0.state) }, "\(outbound.map(\.state))")
        let tried = outbound.filter { $0.state != .pending }
        #expect(!tried.isEmpty, "at least one order was tried")
        let now = Date()
        for transfer in tried {
            let reason = transfer.lastError ?? ""
            #expect(reason.contains(hostile.reason), "\(hostile.name): \(reason)")
            #expect(!reason.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "control character in \(reason)")
            #expect(reason.count <= 1001)
            if let next = transfer.nextAttemptAt { #expect(next.timeIntervalSince(now) <= 86_400 + 60) }
        }
        let logged = log.lines.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        let stored = [runtime.journal.location, runtime.journal.location + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }
        for secret in Self.secrets {
            #expect(!logged.contains(secret), "the log shows \(secret)")
            #expect(!tried.contains { ($0.lastError ?? "").contains(secret) }, "the journal shows \(secret)")
            #expect(!stored.contains { $0.firstRange(of: Data(secret.utf8)) != nil }, "the journal file holds \(secret)")
        }
        _ = try #require(peer.requests.first { $0.target == "/orders" }, "the order reached the hostile peer")
    }
}
