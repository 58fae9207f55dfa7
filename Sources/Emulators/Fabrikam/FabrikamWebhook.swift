import BackOffice
import Foundation
import HTTP
import JSON

/// Fabrikam ERP's notifications: once a receiver is registered (`POST /_admin/webhook {"url", "secret", "caFile"}`),
/// every change of an order is posted to it as `{"id": "evt_…", "type": "sales-order.updated", "data": <the order>}`,
/// signed with `X-Fabrikam-Timestamp` (Unix seconds) and `X-Fabrikam-Signature: sha256=<hex HMAC-SHA256 of
/// "<timestamp>.<body>">`. A delivery the receiver does not answer 2xx is tried again three times, a second apart.
/// Every delivery is kept, for tests to replay (`GET /_admin/webhook/deliveries`).
final class FabrikamWebhook: @unchecked Sendable {
    /// A receiver.
    struct Receiver {
        var url: String
        var secret: String
        var client: HTTPClient
    }

    private let lock = NSLock()
    private var receiver: Receiver?
    private var deliveries: [JSONValue] = []
    private var counter = 0
    private let queue = DispatchQueue(label: "fabrikam.webhook")

    /// Registers the receiver (`caFile`: the CA its HTTPS certificate is trusted by).
    func register(url: String, secret: String, caFile: String?) {
        let client = HTTPClient(configuration: HTTPClient.Configuration(connectTimeout: 2, totalTimeout: 5, tls: TLSOptions(caFile: caFile)))
        lock.withLock { receiver = Receiver(url: url, secret: secret, client: client) }
    }

    /// The deliveries so far: each request's body, headers and the answer's status.
    var sent: [JSONValue] { lock.withLock { deliveries } }

    /// Posts the change of `order` to the receiver, if there is one, on a queue of its own.
    func notify(_ order: JSONValue) {
        guard let receiver = lock.withLock({ receiver }) else { return }
        let id = lock.withLock {
            counter += 1
            return String(format: "evt_%06d", counter)
        }
        let body = JSONValue.object(["id": .string(id), "type": "sales-order.updated", "data": order]).serialized()
        queue.async { [self] in
            for attempt in 1...4 {
                let timestamp = String(Int(Date().timeIntervalSince1970))
                let signature = "sha256=" + WebhookSignature.sign(secret: receiver.secret, timestamp: timestamp, body: body)
                let headers: HTTPHeaders = [
                    "Content-Type": "application/json", "X-Fabrikam-Timestamp": timestamp, "X-Fabrikam-Signature": signature,
                ]
                let status = (try? receiver.client.perform(HTTPRequest(method: .post, url: receiver.url, headers: headers, body: body)))?.status
                lock.withLock {
                    deliveries.append([
                        "id": .string(id), "attempt": .int(attempt), "body": .string(String(decoding: body, as: UTF8.self)),
                        "timestamp": .string(timestamp), "signature": .string(signature), "status": status.map { .int($0) } ?? .null,
                    ])
                }
                if let status, (200..<300).contains(status) || status == 409 { return }
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }
}
