import Foundation
import HTTPListener
import Logging
import PeerText

/// The daemon's loopback endpoint for monitoring: `GET /metrics` (the Prometheus text format),
/// `GET /healthz` (the process and its control loop answer: 200, else 503) and `GET /readyz` (every
/// `ReadinessReport` check passes: 200, else 503 naming the checks that failed). It runs on its own
/// tasks and reads what the sync path records, so that a scrape never waits for a cycle nor holds one up.
public final class MetricsEndpoint: Sendable {
    /// What the endpoint answers from.
    public struct Sources: Sendable {
        /// The metrics, refreshed from the journal, in the text format.
        public var metrics: @Sendable () -> String
        /// Whether the control loop answers (nil), or why not.
        public var liveness: @Sendable () async -> String?
        /// The readiness checks.
        public var readiness: @Sendable () -> ReadinessReport

        /// Creates the sources.
        public init(
            metrics: @escaping @Sendable () -> String, liveness: @escaping @Sendable () async -> String?,
            readiness: @escaping @Sendable () -> ReadinessReport
        ) {
            self.metrics = metrics
            self.liveness = liveness
            self.readiness = readiness
        }
    }

    private let server: BoundedHTTPServer
    /// The address bound (with the port the system picked, when 0 was asked for).
    public var address: ListenAddress { server.address }

    /// Binds `address` and starts answering, within `ConnectionLimits.monitoring`.
    /// - Throws: `HTTPListenerError` when the address cannot be bound.
    public init(address: ListenAddress, sources: Sources, logger: Logger) async throws(HTTPListenerError) {
        server = try await BoundedHTTPServer(address: address, limits: .monitoring, logger: logger) { request in
            await Self.answer(request, from: sources)
        }
    }

    /// Stops listening.
    public func stop() async {
        await server.stop()
    }

    private static func answer(_ request: BoundedHTTPServer.Request, from sources: Sources) async -> BoundedHTTPServer.Response {
        guard request.method == "GET" || request.method == "HEAD" else {
            return response(405, "text/plain", "only GET and HEAD are answered here\n", extra: [("Allow", "GET, HEAD")])
        }
        switch request.path {
        case "/metrics":
            return response(200, "text/plain; version=0.0.4; charset=utf-8", sources.metrics())
        case "/healthz":
            if let problem = await sources.liveness() {
                return response(503, "application/json", "{\"status\":\"unhealthy\",\"problem\":\(PeerText.jsonQuoted(problem))}\n")
            }
            return response(200, "application/json", "{\"status\":\"alive\"}\n")
        case "/readyz":
            let report = sources.readiness()
            return response(report.isReady ? 200 : 503, "application/json", report.json + "\n")
        default:
            return response(404, "text/plain", "not found: sopd answers /metrics, /healthz and /readyz\n")
        }
    }

    private static func response(
        _ status: Int, _ contentType: String, _ body: String, extra: [(String, String)] = []
    ) -> BoundedHTTPServer.Response {
        BoundedHTTPServer.Response(
            status: status, headers: [("Content-Type", contentType), ("Cache-Control", "no-store")] + extra, body: body)
    }
}
