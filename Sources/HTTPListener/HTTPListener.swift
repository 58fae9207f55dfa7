import FlyingFox
import FlyingSocks
import Foundation
import Logging
import Synchronization

/// An HTTP server of this process (FlyingFox), bound to one address: the emulators' servers and the
/// daemon's metrics and health endpoint. It runs on Swift concurrency, apart from sopd's Dispatch queues.
public final class HTTPListener: Sendable {
    private let server: HTTPServer
    private let task: Task<Void, any Error>
    private let state: RunState
    /// The address bound, with the port the system picked when 0 was asked for.
    public let address: ListenAddress

    /// Methods passed to the handler beyond those FlyingFox knows: `QUERY` (draft-ietf-httpbis-safe-method-w-body),
    /// which clients probe with, so that a handler can answer it 405. FlyingFox answers a method it cannot route
    /// with an empty 404 before any handler sees it.
    static let extraMethods: Set<HTTPMethod> = [HTTPMethod("QUERY")]

    /// Binds `address` and answers every request with `handler`.
    /// - Parameter timeout: Seconds a handler may take before the client gets a 500.
    /// - Throws: `HTTPListenerError` when the address cannot be bound (in use, not this machine's, or a privileged port).
    public init(
        address: ListenAddress, logger: Logger, timeout: TimeInterval = 60,
        handler: @escaping @Sendable (FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse
    ) async throws(HTTPListenerError) {
        let server: HTTPServer
        do {
            func make(_ socketAddress: some SocketAddress) -> HTTPServer {
                HTTPServer(
                    address: socketAddress, timeout: timeout, pool: NoDelaySocketPool(wrapping: HTTPServer.defaultPool()),
                    logger: FlyingFoxLogBridge(logger: logger))
            }
            server =
                address.isIPv6
                ? make(try sockaddr_in6.inet6(ip6: address.host, port: address.port))
                : make(try sockaddr_in.inet(ip4: address.host, port: address.port))
        } catch {
            throw HTTPListenerError(address: address, cause: "\(error)")
        }
        await server.appendRoute(
            HTTPRoute(methods: HTTPMethod.allMethods.union(Self.extraMethods), path: "*"),
            to: ClosureHTTPHandler { await handler($0) })
        // The server's run ends at once when the address cannot be bound; waitUntilListening would
        // only time out, so both are watched.
        let state = RunState()
        let task = Task {
            do {
                try await server.run()
            } catch {
                let cause = HTTPListenerError.cause(of: error)
                let (started, stopping) = state.end(cause)
                if started, !stopping {
                    logger.error(
                        "the HTTP listener stopped by itself; restart sopd to open it again",
                        metadata: ["address": "\(address)", "error": "\(cause)"])
                }
                throw error
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while await !server.isListening {
            if let cause = state.cause { throw HTTPListenerError(address: address, cause: cause) }
            guard ContinuousClock.now < deadline else {
                task.cancel()
                throw HTTPListenerError(address: address, cause: "the server did not start listening within 10 s")
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        var bound = address
        switch await server.listeningAddress {
        case .ip4(_, let port), .ip6(_, let port): bound.port = port
        default: break
        }
        state.started()
        self.server = server
        self.task = task
        self.state = state
        self.address = bound
    }

    /// Stops listening and closes every connection; when it returns, the port refuses connections.
    public func stop() async {
        // Clients keep idle connections open; waiting for them to close would only delay the stop.
        state.stop()
        task.cancel()
        await server.stop(timeout: 0)
        _ = await task.result
    }
}

/// A listener could not bind its address.
public struct HTTPListenerError: Error, CustomStringConvertible {
    /// The address asked for.
    public var address: ListenAddress
    /// What the system said.
    public var cause: String

    public var description: String { "cannot listen on \(address): \(cause)" }

    /// What the socket said when it failed (`bind` and `EADDRINUSE`, say).
    static func cause(of error: any Error) -> String {
        if let socketError = error as? SocketError, case .failed(let type, let errno, let message) = socketError {
            return "\(type) failed: \(message) (errno \(errno))"
        }
        return "\(error)"
    }
}

/// Where a listener's run stands, shared with the task that runs it: whether it started listening,
/// whether a stop was asked for, and why the run ended.
private final class RunState: Sendable {
    private struct Flags {
        var started = false
        var stopping = false
        var cause: String?
    }

    private let flags = Mutex(Flags())

    /// Why the run ended, or nil while it runs.
    var cause: String? { flags.withLock { $0.cause } }

    func started() { flags.withLock { $0.started = true } }

    func stop() { flags.withLock { $0.stopping = true } }

    /// Records the end of the run; tells whether it had started and whether a stop was asked for.
    func end(_ cause: String) -> (started: Bool, stopping: Bool) {
        flags.withLock { flags in
            flags.cause = cause
            return (flags.started, flags.stopping)
        }
    }
}

