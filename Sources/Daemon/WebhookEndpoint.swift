import Dispatch
import HTTPListener
import Logging
import Sync

/// The daemon's receiver of an ERP's notifications (`backoffice.webhook.listen`): HTTPS through a TLS front (or plain
/// HTTP behind a proxy that terminates TLS), each request within `ConnectionLimits.webhook`, handed to the running
/// `WebhookIntake`; a notification journaled starts an inbound cycle at once.
public final class WebhookEndpoint: Sendable {
    private let server: BoundedHTTPServer
    /// The address the ERP posts to (with the port the system picked, when 0 was asked for).
    public let address: ListenAddress
    /// Whether it is served over HTTPS.
    public let secure: Bool

    /// Binds the address and starts answering.
    /// - Parameters:
    ///   - intake: The running intake (a reload may replace it).
    ///   - journaled: Called after a notification was journaled.
    /// - Throws: `WebhookEndpointError` naming the key to fix.
    public init(
        settings: SopdConfiguration.Webhook, intake: @escaping @Sendable () -> WebhookIntake?, journaled: @escaping @Sendable () -> Void,
        logger: Logger
    ) async throws(WebhookEndpointError) {
        let queue = DispatchQueue(label: "sopd.webhook", attributes: .concurrent)
        let handler: @Sendable (BoundedHTTPServer.Request) async -> BoundedHTTPServer.Response = { request in
            guard let intake = intake() else {
                return BoundedHTTPServer.Response(status: 503, headers: [("Content-Type", "application/json")], body: #"{"error":"not ready"}"#)
            }
            let answer = await withCheckedContinuation { continuation in
                queue.async {
                    continuation.resume(returning: intake.receive(method: request.method, path: request.path, header: request.header, body: request.body))
                }
            }
            if answer.status == 202 { journaled() }
            return BoundedHTTPServer.Response(
                status: answer.status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: answer.body + "\n")
        }
        do {
            if let tls = settings.tls {
                server = try await BoundedHTTPServer(
                    address: ListenAddress(host: "127.0.0.1", port: 0), limits: .webhook, logger: logger, handler: handler)
                let front = try TLSFront(
                    certificate: tls.certificate, key: tls.key, host: settings.listen.host, port: settings.listen.port, backendPort: server.address.port)
                address = ListenAddress(host: settings.listen.host, port: front.port)
                secure = true
            } else {
                server = try await BoundedHTTPServer(address: settings.listen, limits: .webhook, logger: logger, handler: handler)
                address = server.address
                secure = false
            }
        } catch let error as TLSFrontError {
            throw WebhookEndpointError(message: "backoffice.webhook.tlsCertificate/tlsKey or listen: \(error.message)")
        } catch {
            throw WebhookEndpointError(message: "backoffice.webhook.listen: \(error)")
        }
    }

    /// Stops listening (the TLS front, if any, ends with the process).
    public func stop() async {
        await server.stop()
    }
}

/// The webhook endpoint could not start; the message names the key to fix.
public struct WebhookEndpointError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    public var message: String
    public var description: String { message }
}
