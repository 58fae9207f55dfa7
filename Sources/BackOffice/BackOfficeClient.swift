import Foundation
import HTTP
import JSON
import PeerText

/// A client of the back-office contract v1 (`docs/backoffice-api.yaml`). Calls block: run them on
/// Dispatch queues, never on a Swift-concurrency thread.
public final class BackOfficeClient: BackOfficeAdapter {
    /// `contract-v1`.
    public let name = "contract-v1"
    /// The feed's first cursor: `0`, before its first event.
    public let initialCursor = "0"
    /// Contract v1 keeps idempotency keys.
    public let keepsIdempotencyKeys = true
    /// Contract v1's feed is about the orders sopd sent.
    public let listsOtherOrders = false
    /// The base URL, such as `https://erp.example.com/api`.
    public let baseURL: String
    private let authorizer: any BackOfficeAuthorizer
    private let http: HTTPClient

    /// Creates a client.
    /// - Parameters:
    ///   - baseURL: The base URL of the contract; `/orders` follows it.
    ///   - authorizer: How to authenticate: fixed credentials, or OAuth tokens.
    ///   - http: The HTTP client to send through (it carries the TLS client certificate, if any).
    public init(baseURL: String, authorizer: any BackOfficeAuthorizer, http: HTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.authorizer = authorizer
        self.http = http
    }

    /// Sends an order document (`POST /orders`). The same key always yields the same answer and at most one order.
    /// - Parameters:
    ///   - document: The canonical order document.
    ///   - idempotencyKey: The key of this version of the order.
    /// - Returns: The back office's id for the order.
    public func submitOrder(_ document: JSONValue, idempotencyKey: String) throws(BackOfficeError) -> OrderReceipt {
        try submitOrder(body: document.serialized(), idempotencyKey: idempotencyKey)
    }

    /// Creates a client that sends fixed credentials.
    public convenience init(baseURL: String, credentials: BackOfficeCredentials, http: HTTPClient) {
        self.init(baseURL: baseURL, authorizer: credentials, http: http)
    }

    /// Sends a submission's document under its key (`POST /orders`): contract v1 keeps idempotency keys, so no lookup
    /// and no journaled create are needed.
    public func submitOrder(_ submission: OrderSubmission) throws(BackOfficeError) -> OrderReceipt {
        try submitOrder(body: submission.document, idempotencyKey: submission.idempotencyKey)
    }

    public func preview(_ submission: OrderSubmission) throws(BackOfficeError) -> [(purpose: String, request: HTTPRequest)] {
        [("create, under its idempotency key (contract v1 keeps the keys: no lookup)", orderRequest(body: submission.document, idempotencyKey: submission.idempotencyKey))]
    }

    private func orderRequest(body: [UInt8], idempotencyKey: String) -> HTTPRequest {
        HTTPRequest(
            method: .post, url: "\(baseURL)/orders",
            headers: ["Accept": "application/json", "Content-Type": "application/json", "Idempotency-Key": idempotencyKey], body: body)
    }

    /// Sends an order document as serialised already (`POST /orders`): the journaled text, byte for byte, so that
    /// every attempt under one key sends the same body and none parses it again.
    /// - Parameters:
    ///   - body: The canonical order document, as JSON text.
    ///   - idempotencyKey: The key of this version of the order.
    /// - Returns: The back office's id for the order.
    public func submitOrder(body: [UInt8], idempotencyKey: String) throws(BackOfficeError) -> OrderReceipt {
        var request = orderRequest(body: body, idempotencyKey: idempotencyKey)
        let credentials = try authorizer.header()
        request.headers.add(credentials.name, credentials.value)
        let response = try send(request)
        return try OrderReceipt(
            decoding: response.body, status: response.status,
            replayed: response.headers["Idempotent-Replayed"]?.lowercased() == "true", duration: response.duration)
    }

    /// Reads the change feed after `cursor` (`GET /changes?after=<cursor>&limit=<n>`).
    /// - Throws: `BackOfficeError`; an event without id, sequence, type or order id makes the page unreadable.
    public func changes(after cursor: String, limit: Int) throws(BackOfficeError) -> ChangePage {
        let encoded = cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor
        let credentials = try authorizer.header()
        var request = HTTPRequest(
            method: .get, url: "\(baseURL)/changes?after=\(encoded)&limit=\(limit)", headers: ["Accept": "application/json"])
        request.headers.add(credentials.name, credentials.value)
        let response = try send(request)
        return try ChangePage(decoding: response.body, after: cursor, status: response.status)
    }

    /// Sends `request`; a 2xx answer comes back, anything else is thrown.
    private func send(_ request: HTTPRequest) throws(BackOfficeError) -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try http.perform(request)
        } catch {
            // A request that could not be made (a bad header value, a bad URL) fails the same way every time.
            throw BackOfficeError(code: error.code == .invalidRequest ? .refused : .unavailable, message: PeerText.clean(error.description))
        }
        if response.status == 401 { authorizer.refused() }
        guard response.isSuccess else { throw Self.error(from: response) }
        return response
    }

    /// The error an answer carries; every text in it passes through `PeerText` (the back office may
    /// echo the request, credentials included).
    private static func error(from response: HTTPResponse) -> BackOfficeError {
        let body = try? JSONParser.parse(response.body)
        let message =
            body?["error"]?["message"]?.stringValue.map { PeerText.clean($0) }
            ?? (response.body.isEmpty ? "HTTP \(response.status) with no body" : PeerText.clean(bytes: response.body))
        let reasons = (body?["error"]?["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []).prefix(20).map {
            PeerText.clean($0, limit: 200)
        }
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
            retryAfter: RetryAfter.seconds(response.headers["Retry-After"]))
    }
}
