import ChildProcess
import Foundation
import HTTPListener
import SopdTestSupport
import Testing

/// The monitoring endpoint's server against clients that send too much, too little or nothing that is
/// HTTP: each is answered or dropped within its limits, and a real request still gets through.
@Suite struct BoundedHTTPServerTests {
    private static let limits = ConnectionLimits(lifetimeSeconds: 0.5, maxRequestBytes: 1024, maxConnections: 4)

    /// A raw loopback connection that sends `bytes` and returns what came back, and whether the server
    /// closed the connection (rather than the client giving up after 60 s).
    private func exchange(_ port: UInt16, _ bytes: [UInt8]) async throws -> (answer: String, closedByServer: Bool) {
        try await onDispatchQueue {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { throw BuiltProcessError(message: "cannot connect to 127.0.0.1:\(port)") }
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            var count = 0
            repeat {
                count = recv(descriptor, &buffer, buffer.count, 0)
                if count > 0 { answer += buffer[0..<count] }
            } while count > 0
            // 0 is the server's close (or its reset after a refusal, when the client had more to send).
            return (String(decoding: answer, as: UTF8.self), count == 0 || errno == ECONNRESET)
        }
    }

    @Test func tooMuchTooLittleAndNotHTTPAreRefusedWithinTheLimits() async throws {
        let server = try await BoundedHTTPServer(
            address: ListenAddress(host: "127.0.0.1", port: 0), limits: Self.limits, logger: SyncFixture.quietLogger
        ) { request in
            BoundedHTTPServer.Response(status: 200, headers: [("Content-Type", "text/plain")], body: "\(request.method) \(request.path)\n")
        }
        let port = server.address.port

        let fine = try await exchange(port, Array("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(fine.answer.hasPrefix("HTTP/1.1 200 OK\r\n") && fine.answer.hasSuffix("\r\n\r\nGET /metrics\n"))
        #expect(fine.answer.contains("Content-Length: 13\r\nConnection: close\r\n"))
        let head = try await exchange(port, Array("HEAD / HTTP/1.1\r\n\r\n".utf8))
        #expect(head.answer.hasSuffix("Connection: close\r\n\r\n"), "no body for HEAD")

        let long = try await exchange(port, Array("GET /".utf8) + Array(repeating: UInt8(ascii: "a"), count: 1 << 20))
        #expect(long.answer.hasPrefix("HTTP/1.1 431 "))
        let garbage = try await exchange(port, [0x16, 0x03, 0x01, 0x00, 13, 10, 13, 10])
        #expect(garbage.answer.hasPrefix("HTTP/1.1 400 "))
        let silent = try await exchange(port, [])
        #expect(silent.answer.isEmpty && silent.closedByServer, "closed without a word after its lifetime: \(silent.answer)")

        await server.stop()
    }

    @Test func connectionsPastTheCapAreClosedAndTheServerGoesOn() async throws {
        let server = try await BoundedHTTPServer(
            address: ListenAddress(host: "127.0.0.1", port: 0), limits: Self.limits, logger: SyncFixture.quietLogger
        ) { _ in BoundedHTTPServer.Response(status: 200, body: "ok\n") }
        let port = server.address.port
        // Ten clients that never finish their request: four are held until their lifetime ends, the rest closed at once.
        let stalled = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 { group.addTask { try await self.exchange(port, Array("GET / HTTP/1.1\r\n".utf8)).closedByServer } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(stalled == Array(repeating: true, count: 10), "every stalled connection was closed by the server")
        let after = try await exchange(port, Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(after.answer.hasPrefix("HTTP/1.1 200 OK"))
        await server.stop()
    }
}
