import FlyingFox
import FlyingSocks
import Foundation
import Logging
import Synchronization

/// A small HTTP/1.1 server, one request per connection, within `ConnectionLimits`: the request line and headers must
/// arrive within the connection's lifetime and fit in `maxRequestBytes`, a body (by `Content-Length`, never chunked)
/// in `maxBodyBytes`, and no more than `maxConnections` are served at once. It is built on
/// FlyingFox's sockets but not on FlyingFox's HTTP server, which bounds neither a request's size nor the
/// time a client may take, and whose header parser slows down sharply with size: the daemon's monitoring
/// endpoint must stay up, and keep a core free for the sync, whatever a local client sends it.
public final class BoundedHTTPServer: Sendable {
    /// A request: its method, path (the query cut off), headers and body.
    public struct Request: Sendable {
        /// `GET`, `HEAD`, or whatever the client wrote.
        public var method: String
        /// The path, such as `/metrics`.
        public var path: String
        /// The header fields, in order.
        public var headers: [(name: String, value: String)] = []
        /// The body, empty without one.
        public var body: [UInt8] = []

        /// The value of header `name`, without regard to case.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    /// An answer.
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// The header fields beside `Content-Length` and `Connection: close`.
        public var headers: [(String, String)]
        /// The body (not sent for HEAD).
        public var body: String

        /// Creates an answer.
        public init(status: Int, headers: [(String, String)] = [], body: String) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    private let listener: Socket
    private let task: Task<Void, Never>
    /// The address bound, with the port the system picked when 0 was asked for.
    public let address: ListenAddress

    /// Binds `address` and answers each request with `handler`.
    /// - Throws: `HTTPListenerError` when the address cannot be bound (in use, not this machine's, a privileged port).
    public init(
        address: ListenAddress, limits: ConnectionLimits, logger: Logger,
        handler: @escaping @Sendable (Request) async -> Response
    ) async throws(HTTPListenerError) {
        let socket: Socket
        let pool = HTTPServer.defaultPool()
        do {
            socket = try Socket(domain: address.isIPv6 ? AF_INET6 : AF_INET)
            try socket.setValue(true, for: .localAddressReuse)
            if address.isIPv6 {
                try socket.bind(to: sockaddr_in6.inet6(ip6: address.host, port: address.port))
            } else {
                try socket.bind(to: sockaddr_in.inet(ip4: address.host, port: address.port))
            }
            try socket.listen()
            try await pool.prepare()
        } catch {
            throw HTTPListenerError(address: address, cause: HTTPListenerError.cause(of: error))
        }
        var bound = address
        switch try? socket.sockname() {
        case .ip4(_, let port), .ip6(_, let port): bound.port = port
        default: break
        }
        self.address = bound
        listener = socket
        let open = OpenConnections()
        task = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { try? await pool.run() }
                do {
                    for try await connection in try AsyncSocket(socket: socket, pool: pool).sockets {
                        let admitted = open.count.withLock { count in
                            guard count < limits.maxConnections else { return false }
                            count += 1
                            return true
                        }
                        guard admitted else {
                            try? connection.close()
                            continue
                        }
                        group.addTask {
                            await Self.serve(connection, limits: limits, handler: handler)
                            open.count.withLock { $0 -= 1 }
                        }
                    }
                } catch {
                    if !Task.isCancelled {
                        logger.error(
                            "the monitoring endpoint stopped accepting connections; restart sopd to open it again",
                            metadata: ["address": "\(bound)", "error": "\(HTTPListenerError.cause(of: error))"])
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// Stops listening and drops the connections under way.
    public func stop() async {
        task.cancel()
        try? listener.close()
        await task.value
    }

    /// Reads one request within the limits, answers it, and closes the connection; a connection past
    /// its lifetime is closed as it is.
    private static func serve(
        _ connection: AsyncSocket, limits: ConnectionLimits, handler: @escaping @Sendable (Request) async -> Response
    ) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let request: Request
                switch await read(connection, limits: limits) {
                case .success(let read): request = read
                case .failure(let refusal):
                    if let response = refusal.response { try? await write(response, to: connection, head: false) }
                    return
                }
                let response = await handler(request)
                try? await write(response, to: connection, head: request.method == "HEAD")
            }
            group.addTask { try? await Task.sleep(for: .milliseconds(Int64(limits.lifetimeSeconds * 1000))) }
            await group.next()
            group.cancelAll()
        }
        try? connection.close()
    }

    /// The request line, headers and body; a refusal to send when they are too long or malformed.
    private static func read(_ connection: AsyncSocket, limits: ConnectionLimits) async -> Result<Request, RefusedRequest> {
        let limit = limits.maxRequestBytes
        var bytes: [UInt8] = []
        var searched = 0
        while !endsHeaders(bytes, from: &searched) {
            guard bytes.count <= limit else {
                return .failure(RefusedRequest(Response(status: 431, body: "the request's headers pass \(limit) bytes\n")))
            }
            guard let chunk = try? await connection.read(atMost: 1024), !chunk.isEmpty else {
                // Past its lifetime the connection is closed without a word; a client that hung up gets none either.
                guard !Task.isCancelled else { return .failure(RefusedRequest(nil)) }
                return .failure(RefusedRequest(Response(status: 400, body: "the request ended before its headers did\n")))
            }
            bytes += chunk
        }
        let head = String(decoding: bytes[..<searched], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = (head.first ?? "").split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1."), parts[1].hasPrefix("/") else {
            return .failure(RefusedRequest(Response(status: 400, body: "not an HTTP/1.x request line\n")))
        }
        let path = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var request = Request(method: String(parts[0]), path: String(path))
        for line in head.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                return .failure(RefusedRequest(Response(status: 400, body: "a header line without a colon\n")))
            }
            request.headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        // A server that takes no body reads none: its handler answers the request as it is (a 405, say).
        guard limits.maxBodyBytes > 0 else { return .success(request) }
        if request.header("Transfer-Encoding") != nil {
            return .failure(RefusedRequest(Response(status: 411, body: "send the body with a Content-Length, not chunked\n")))
        }
        let length = request.header("Content-Length").map { Int($0) ?? -1 } ?? 0
        guard length >= 0 else { return .failure(RefusedRequest(Response(status: 400, body: "the Content-Length is not a number\n"))) }
        guard length <= limits.maxBodyBytes else {
            return .failure(RefusedRequest(Response(status: 413, body: "the body passes \(limits.maxBodyBytes) bytes\n")))
        }
        var body = Array(bytes[(searched + 4)...].prefix(length))
        while body.count < length {
            guard let chunk = try? await connection.read(atMost: min(16_384, length - body.count)), !chunk.isEmpty else {
                guard !Task.isCancelled else { return .failure(RefusedRequest(nil)) }
                return .failure(RefusedRequest(Response(status: 400, body: "the request ended before its body did\n")))
            }
            body += chunk
        }
        request.body = body
        return .success(request)
    }

    /// Whether `bytes` hold the blank line that ends the headers, looking from `searched` on (and moving it).
    private static func endsHeaders(_ bytes: [UInt8], from searched: inout Int) -> Bool {
        let end: [UInt8] = [13, 10, 13, 10]
        while searched + end.count <= bytes.count {
            if bytes[searched..<searched + end.count].elementsEqual(end) { return true }
            searched += 1
        }
        return false
    }

    private static func write(_ response: Response, to connection: AsyncSocket, head: Bool) async throws {
        let body = Data(response.body.utf8)
        var text = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        for (name, value) in response.headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try await connection.write(Data(text.utf8) + (head ? Data() : body))
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 202: "Accepted"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

}

/// A request answered with an error (or, past its lifetime, nothing) before it reached the handler.
private struct RefusedRequest: Error {
    let response: BoundedHTTPServer.Response?

    init(_ response: BoundedHTTPServer.Response?) {
        self.response = response
    }
}

/// How many connections are being served.
private final class OpenConnections: Sendable {
    let count = Mutex(0)
}
