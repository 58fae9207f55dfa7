import Foundation
import HTTP
import JSON

/// A client of the back-office contract v1 (`docs/backoffice-api.yaml`). Calls block: run them on
/// Dispatch queues, never on a Swift-concurrency thread.
public final class BackOfficeClient: Sendable {
    /// The base URL, such as `https://erp.example.com/api`.
    public let baseURL: String
    private let credentials: BackOfficeCredentials
    private let http: HTTPClient

    /// Creates a client.
    /// - Parameters:
    ///   - baseURL: The base URL of the contract; `/orders` follows it.
    ///   - credentials: How to authenticate.
    ///   - http: The HTTP client to send through (it carries the TLS client certificate, if any).
    public init(baseURL: String, credentials: BackOfficeCredentials, http: HTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.http = http
    }

    /// Sends an order document (`POST /orders`). The same key always yields the same answer and at most one order.
    /// - Parameters:
    ///   - document: The canonical order document.
    ///   - idempotencyKey: The key of this version of the order.
    /// - Returns: The back office's id for the order.
    public func submitOrder(_ document: JSONValue, idempotencyKey: String) throws(BackOfficeError) -> OrderReceipt {
        let request = HTTPRequest(
            method: .post, url: "\(baseURL)/orders",
            headers: [
                "Accept": "application/json", "Content-Type": "application/json",
                "Authorization": credentials.authorization, "Idempotency-Key": idempotencyKey,
            ], body: document.serialized())
        let (response, body) = try send(request)
        guard let orderId = body?["id"]?.stringValue, !orderId.isEmpty else {
            throw BackOfficeError(
                code: .invalidResponse, status: response.status, message: "the answer carries no order id")
        }
        return OrderReceipt(
            orderId: orderId, status: response.status,
            replayed: response.headers["Idempotent-Replayed"]?.lowercased() == "true", duration: response.duration)
    }

    /// Reads the change feed after `cursor` (`GET /changes?after=<cursor>&limit=<n>`).
    /// - Throws: `BackOfficeError`; an event without id, sequence, type or order id makes the page unreadable.
    public func changes(after cursor: String, limit: Int) throws(BackOfficeError) -> ChangePage {
        let encoded = cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor
        let request = HTTPRequest(
            method: .get, url: "\(baseURL)/changes?after=\(encoded)&limit=\(limit)",
            headers: ["Accept": "application/json", "Authorization": credentials.authorization])
        let (response, body) = try send(request)
        guard let items = body?["events"]?.arrayValue, let next = body?["next"]?.stringValue else {
            throw BackOfficeError(code: .invalidResponse, status: response.status, message: "the change feed answer has no events or next cursor")
        }
        var events: [ChangeEvent] = []
        for (index, item) in items.enumerated() {
            guard let event = ChangeEvent(item) else {
                throw BackOfficeError(
                    code: .invalidResponse, status: response.status,
                    message: "event \(index) after cursor \(cursor) lacks an id, sequence, type or orderId")
            }
            events.append(event)
        }
        return ChangePage(events: events, next: next)
    }

    /// Sends `request`; a 2xx answer comes back with its body parsed (nil when it is not JSON), anything else is thrown.
    private func send(_ request: HTTPRequest) throws(BackOfficeError) -> (HTTPResponse, JSONValue?) {
        let response: HTTPResponse
        do {
            response = try http.perform(request)
        } catch {
            throw BackOfficeError(code: .unavailable, message: error.description)
        }
        let body = try? JSONParser.parse(response.body)
        guard response.isSuccess else { throw Self.error(from: response, body: body) }
        return (response, body)
    }

    private static func error(from response: HTTPResponse, body: JSONValue?) -> BackOfficeError {
        let message =
            body?["error"]?["message"]?.stringValue
            ?? (response.body.isEmpty ? "HTTP \(response.status) with no body" : String(response.bodyText.prefix(300)))
        let reasons = body?["error"]?["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let code: BackOfficeError.Code =
            switch response.status {
            case 401, 403: .unauthorized
            case 409: .conflict
            case 422: .rejected
            case 429: .throttled
            case 500...: .serverError
            default: .refused
            }
        return BackOfficeError(
            code: code, status: response.status, message: message, reasons: reasons,
            retryAfter: response.headers["Retry-After"].flatMap(Double.init))
    }
}
