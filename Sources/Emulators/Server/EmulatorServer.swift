import FlyingFox
import FlyingSocks
import Foundation
import Logging
import Synchronization

/// Serves one emulator's handler on 127.0.0.1 with FlyingFox, in-process.
public final class EmulatorServer: Sendable {
    private let server: HTTPServer
    private let task: Task<Void, any Error>
    private let latency = Latency()

    /// Seconds added before every answer, shared with the handler closure.
    private final class Latency: Sendable {
        let seconds = Mutex(0.0)
    }
    /// The port the server listens on.
    public let port: UInt16
    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts listening on `port` (0 picks a free one) and answers with `handler`.
    /// - Throws: when the port cannot be bound.
    public init(
        port: UInt16 = 0, logger: Logger,
        handler: @escaping @Sendable (FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse
    ) async throws {
        let latency = self.latency
        // `.loopback` binds ::1 only; sopd's peers are configured with 127.0.0.1.
        let server = try HTTPServer(
            address: .inet(ip4: "127.0.0.1", port: port), timeout: 60,
            pool: NoDelaySocketPool(wrapping: HTTPServer.defaultPool()), logger: FlyingFoxLogBridge(logger: logger),
            handler: ClosureHTTPHandler { request in
                let delay = latency.seconds.withLock { $0 }
                if delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
                return await handler(request)
            })
        self.server = server
        task = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 10)
        guard case .ip4(_, let boundPort) = await server.listeningAddress else {
            task.cancel()
            throw EmulatorServerError(message: "the emulator did not report a listening IPv4 address")
        }
        self.port = boundPort
    }

    /// Adds this many seconds before every answer, as a distant peer would: for benchmarks.
    public func setLatency(_ seconds: Double) {
        latency.seconds.withLock { $0 = seconds }
    }

    /// Stops listening and closes every connection; when it returns, the port refuses connections.
    public func stop() async {
        // Clients keep idle connections open; waiting for them to close would only delay the stop.
        task.cancel()
        await server.stop(timeout: 0)
        _ = await task.result
    }
}
