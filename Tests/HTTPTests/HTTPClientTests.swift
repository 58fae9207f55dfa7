import ChildProcess
import FlyingFox
import Foundation
import HTTP
import SopdTestSupport
import Testing

private typealias Client = HTTP.HTTPClient
private typealias Request = HTTP.HTTPRequest

/// The libcurl client against a real local server.
@Suite struct HTTPClientTests {
    private static func startServer() async throws -> (HTTPServer, Task<Void, any Error>, String) {
        let server = try HTTPServer(address: .inet(ip4: "127.0.0.1", port: 0), logger: .disabled)
        await server.appendRoute("GET /hello") { request in
            FlyingFox.HTTPResponse(
                statusCode: .ok, headers: [HTTPHeader("X-Echo"): request.headers[HTTPHeader("X-Test")] ?? ""],
                body: Data("hello".utf8))
        }
        await server.appendRoute("GET /slow") { _ in
            try await Task.sleep(for: .seconds(3))
            return FlyingFox.HTTPResponse(statusCode: .ok)
        }
        await server.appendRoute("*") { request in
            let body = try await request.bodyData
            let text = "\(request.method.rawValue) \(request.path) \(String(decoding: body, as: UTF8.self))"
            return FlyingFox.HTTPResponse(statusCode: .notFound, body: Data(text.utf8))
        }
        let task = Task { try await server.run() }
        try await server.waitUntilListening()
        guard case .ip4(_, let port) = await server.listeningAddress else { throw CancellationError() }
        return (server, task, "http://127.0.0.1:\(port)")
    }

    @Test func sendsHeadersAndReadsStatusHeadersAndBody() async throws {
        let (server, task, base) = try await Self.startServer()
        defer { task.cancel() }
        let client = Client()
        let response = try await client.response(for: Request(method: .get, url: "\(base)/hello", headers: ["X-Test": "42"]))
        #expect(response.status == 200)
        #expect(response.bodyText == "hello")
        #expect(response.headers["x-echo"] == "42")
        await server.stop()
    }

    @Test func anHTTPErrorStatusIsAResponseWithItsBody() async throws {
        let (server, task, base) = try await Self.startServer()
        defer { task.cancel() }
        let response = try await Client().response(
            for: Request(method: .patch, url: "\(base)/things", body: Array("payload".utf8)))
        #expect(response.status == 404)
        #expect(response.bodyText == "PATCH /things payload")
        await server.stop()
    }

    @Test func reusesTheConnectionForTheNextRequest() async throws {
        let (server, task, base) = try await Self.startServer()
        defer { task.cancel() }
        let client = Client()
        let first = try await client.response(for: Request(method: .get, url: "\(base)/hello"))
        let second = try await client.response(for: Request(method: .post, url: "\(base)/echo", body: []))
        #expect(first.newConnections == 1)
        #expect(second.newConnections == 0)
        #expect(second.bodyText == "POST /echo ")
        await server.stop()
    }

    @Test func runsManyTransfersConcurrently() async throws {
        let (server, task, base) = try await Self.startServer()
        defer { task.cancel() }
        let client = Client()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await client.response(
                        for: Request(method: .post, url: "\(base)/n", body: Array("\(index)".utf8))
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 40)
        #expect(statuses.allSatisfy { $0 == 404 })
        await server.stop()
    }

    @Test func tellsARefusedConnectionApart() async throws {
        let closed = try ClosedPort()
        let error = await #expect(throws: HTTPError.self) {
            try await Client().response(for: Request(method: .get, url: "\(closed.url)/hello"))
        }
        #expect(error?.code == .couldNotConnect)
    }

    @Test func tellsATimeoutApart() async throws {
        let (server, task, base) = try await Self.startServer()
        defer { task.cancel() }
        let error = await #expect(throws: HTTPError.self) {
            try await Client().response(for: Request(method: .get, url: "\(base)/slow", timeout: 0.3))
        }
        #expect(error?.code == .timedOut)
        await server.stop()
    }

    /// A peer that answers a TLS handshake with plain HTTP at once. (An HTTP server reading the handshake as a
    /// request may instead wait for a line end that the handshake's random bytes may never hold.)
    @Test func tellsATLSFailureApart() async throws {
        let (listener, port) = try LoopbackPort.bind()
        defer { close(listener) }
        #expect(listen(listener, 1) == 0)
        DispatchQueue(label: "test.plain-peer").async {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            let answer = Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(connection)
        }
        let error = await #expect(throws: HTTPError.self) {
            try await Client().response(for: Request(method: .get, url: "https://127.0.0.1:\(port)/hello"))
        }
        #expect(error?.code == .tls)
    }

    @Test func verifiesPeersByDefaultAndKeepsSecretsOutOfErrors() {
        #expect(Client.Configuration().tls.verifyPeer)
        let error = HTTPError(code: .couldNotConnect, url: "https://host/x", detail: "refused")
        #expect(!error.description.contains("token"))
    }
}
