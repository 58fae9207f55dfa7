import FlyingFox
import Foundation
import HTTPListener
import Logging
import Synchronization

/// Serves one emulator's handler on 127.0.0.1 (or another IPv4 address of this host), in-process.
public final class EmulatorServer: Sendable {
    private let listener: HTTPListener
    private let latency = Latency()

    /// Seconds added before every answer, shared with the handler closure.
    private final class Latency: Sendable {
        let seconds = Mutex(0.0)
    }
    /// The port the server listens on.
    public var port: UInt16 { listener.address.port }
    /// `http://<host>:<port>`.
    public var baseURL: String { "http://\(listener.address.host):\(port)" }

    /// Starts listening on `host` and `port` (0 picks a free one) and answers with `handler`.
    /// - Throws: `HTTPListenerError` when the port cannot be bound.
    public init(
        host: String = "127.0.0.1", port: UInt16 = 0, logger: Logger,
        handler: @escaping @Sendable (FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse
    ) async throws {
        let latency = self.latency
        // sopd's peers are configured with 127.0.0.1, so the emulators bind IPv4 loopback, not ::1.
        listener = try await HTTPListener(address: ListenAddress(host: host, port: port), logger: logger) { request in
            let delay = latency.seconds.withLock { $0 }
            if delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
            return await handler(request)
        }
    }

    /// Adds this many seconds before every answer, as a distant peer would: for benchmarks.
    public func setLatency(_ seconds: Double) {
        latency.seconds.withLock { $0 = seconds }
    }

    /// Stops listening and closes every connection; when it returns, the port refuses connections.
    public func stop() async {
        await listener.stop()
    }
}
