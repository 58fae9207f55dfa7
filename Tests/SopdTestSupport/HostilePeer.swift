import ChildProcess
import Foundation

/// A peer that answers with raw bytes of the test's choosing over loopback: malformed status lines,
/// lying headers, echoes of the request, bodies that never end. Each connection reads one request
/// and gets one reply; the reply closes the connection.
public final class HostilePeer: @unchecked Sendable {
    /// One request as received.
    public struct Request: Sendable {
        /// The request line, such as `GET /changes?after=0&limit=100 HTTP/1.1`.
        public var line: String
        /// The header lines, as received.
        public var headers: [String]
        /// The body.
        public var body: [UInt8]
        /// The request as one text (for echoes).
        public var text: String

        /// The value of header `name` (case-insensitive), or nil.
        public func header(_ name: String) -> String? {
            headers.lazy.compactMap { line -> String? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == name.lowercased() else { return nil }
                return parts[1].trimmingCharacters(in: .whitespaces)
            }.first
        }

        /// The path and query of the request line.
        public var target: String { line.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
    }

    /// What the peer sends back.
    public enum Reply: Sendable {
        /// These bytes, then close.
        case bytes([UInt8])
        /// `head`, then `chunk` again and again until the client goes away.
        case endless(head: [UInt8], chunk: [UInt8])
        /// Close without a byte.
        case close

        /// A well-formed HTTP/1.1 answer with a JSON or text body and extra header lines.
        public static func http(_ status: Int, _ body: String = "", headers: [String] = []) -> Reply {
            http(status, Array(body.utf8), headers: headers)
        }

        /// A well-formed HTTP/1.1 answer with `body` as bytes.
        public static func http(_ status: Int, _ body: [UInt8], headers: [String] = []) -> Reply {
            let head = (["HTTP/1.1 \(status) Status", "Content-Length: \(body.count)", "Connection: close"]
                + (headers.contains { $0.lowercased().hasPrefix("content-type") } ? [] : ["Content-Type: application/json"])
                + headers).joined(separator: "\r\n") + "\r\n\r\n"
            return .bytes(Array(head.utf8) + body)
        }

        /// Raw text, as is.
        public static func raw(_ text: String) -> Reply { .bytes(Array(text.utf8)) }
    }

    /// `http://127.0.0.1:<port>`.
    public let url: String
    private let listener: Int32
    private let respond: @Sendable (Request) -> Reply
    private let lock = NSLock()
    private var received: [Request] = []
    private var stopped = false

    /// Starts listening; `respond` answers every request.
    public init(_ respond: @escaping @Sendable (Request) -> Reply) throws {
        self.respond = respond
        let (descriptor, port) = try LoopbackPort.bind()
        guard listen(descriptor, 64) == 0 else {
            close(descriptor)
            throw BuiltProcessError(message: "cannot listen on loopback")
        }
        listener = descriptor
        url = "http://127.0.0.1:\(port)"
        let thread = Thread { self.acceptLoop() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops accepting (call it when done: the accepting thread holds the peer); connections under way end when their clients go away.
    public func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        if first {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    /// Every request received so far.
    public var requests: [Request] { lock.withLock { received } }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            let respond = self.respond
            Thread {
                defer { close(connection) }
                guard let request = Self.readRequest(connection) else { return }
                self.lock.withLock { self.received.append(request) }
                Self.write(respond(request), to: connection)
            }.start()
        }
    }

    private static func readRequest(_ connection: Int32) -> Request? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var headerEnd: Int?
        var expected = 0
        while true {
            if let end = headerEnd, data.count >= end + expected { break }
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            data += buffer[0..<count]
            if headerEnd == nil, let range = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                headerEnd = range.upperBound
                let head = String(decoding: data[..<range.lowerBound], as: UTF8.self)
                expected =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            }
        }
        let end = headerEnd!
        let lines = String(decoding: data[..<(end - 4)], as: UTF8.self).components(separatedBy: "\r\n")
        return Request(
            line: lines.first ?? "", headers: Array(lines.dropFirst()), body: Array(data[end...]),
            text: String(decoding: data, as: UTF8.self))
    }

    private static func write(_ reply: Reply, to connection: Int32) {
        switch reply {
        case .close: return
        case .bytes(let bytes): _ = send(connection, bytes)
        case .endless(let head, let chunk):
            guard send(connection, head) else { return }
            while send(connection, chunk) {}
        }
    }

    /// Sends all of `bytes`; false once the client is gone.
    private static func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }
}
