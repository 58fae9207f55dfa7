import FlyingFox
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

    private let listener: HTTPListener
    /// The address bound (with the port the system picked, when 0 was asked for).
    public var address: ListenAddress { listener.address }

    /// Binds `address` and starts answering.
    /// - Throws: `HTTPListenerError` when the address cannot be bound.
    public init(address: ListenAddress, sources: Sources, logger: Logger) async throws(HTTPListenerError) {
        listener = try await HTTPListener(address: address, logger: logger, timeout: 10) { request in
            await Self.answer(request, from: sources)
        }
    }

    /// Stops listening.
    public func stop() async {
        await listener.stop()
    }

    private static func answer(_ request: FlyingFox.HTTPRequest, from sources: Sources) async -> FlyingFox.HTTPResponse {
        guard request.method == .GET || request.method == .HEAD else {
            return response(.methodNotAllowed, "text/plain", "only GET and HEAD are answered here\n", extra: ["Allow": "GET, HEAD"])
        }
        switch request.path {
        case "/metrics":
            return response(.ok, "text/plain; version=0.0.4; charset=utf-8", sources.metrics())
        case "/healthz":
            if let problem = await sources.liveness() {
                return response(.serviceUnavailable, "application/json", "{\"status\":\"unhealthy\",\"problem\":\(PeerText.jsonQuoted(problem))}\n")
            }
            return response(.ok, "application/json", "{\"status\":\"alive\"}\n")
        case "/readyz":
            let report = sources.readiness()
            return response(report.isReady ? .ok : .serviceUnavailable, "application/json", report.json + "\n")
        default:
            return response(.notFound, "text/plain", "not found: sopd answers /metrics, /healthz and /readyz\n")
        }
    }

    private static func response(
        _ status: HTTPStatusCode, _ contentType: String, _ body: String, extra: [String: String] = [:]
    ) -> FlyingFox.HTTPResponse {
        var headers: FlyingFox.HTTPHeaders = [HTTPHeader("Content-Type"): contentType, HTTPHeader("Cache-Control"): "no-store"]
        for (name, value) in extra { headers[HTTPHeader(name)] = value }
        return FlyingFox.HTTPResponse(statusCode: status, headers: headers, body: Data(body.utf8))
    }
}
