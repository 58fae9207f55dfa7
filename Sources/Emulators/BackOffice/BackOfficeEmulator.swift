import BackOffice
import FlyingFox
import Foundation
import JSON
import Logging

/// The reference back office: implements contract v1 (`docs/backoffice-api.yaml`) and enforces every rule
/// stated there. It checks the credentials, answers a method a path does not have with 405 and `Allow`,
/// validates each order document, answers a repeated `Idempotency-Key` as the first time without creating
/// anything, and shows tests what it received.
public final class BackOfficeEmulator: Sendable {
    /// The credentials the back office accepts: a bearer token, or HTTP basic user and password.
    public struct Credentials: Sendable {
        /// The accepted bearer token.
        public var bearerToken: String
        /// The accepted basic-auth user.
        public var user: String
        /// The accepted basic-auth password.
        public var password: String

        /// Creates credentials.
        public init(bearerToken: String, user: String, password: String) {
            self.bearerToken = bearerToken
            self.user = user
            self.password = password
        }
    }

    private struct StoredAnswer {
        var status: Int
        var body: JSONValue
        var document: JSONValue
    }

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var orders: [ReceivedOrder] = []
        var answers: [String: StoredAnswer] = [:]
        var currentLines: [String: [JSONValue]] = [:]
        var faults: [BackOfficeFault] = []
        var requestCount = 0
        var down = false
        var orderSeconds = 0.0
        var inFlight = 0
        var outageRequests = 0
        var outageMostAtOnce = 0
    }

    private let credentials: Credentials
    private let state = State()
    /// The change feed (`GET /changes`).
    public let feed = ChangeFeed()
    private let logger: Logger

    /// Creates an empty back office that accepts `credentials`.
    public init(credentials: Credentials, logger: Logger = Logger(label: "sop-emulator.backoffice")) {
        self.credentials = credentials
        self.logger = logger
    }

    /// The orders accepted so far, in order of arrival.
    public var receivedOrders: [ReceivedOrder] { state.lock.withLock { state.orders } }

    /// Answers the next `count` `POST /orders` with `fault` (after any faults already queued).
    public func inject(_ fault: BackOfficeFault, count: Int = 1) {
        state.lock.withLock { state.faults += Array(repeating: fault, count: count) }
    }

    private func nextFault() -> BackOfficeFault? {
        state.lock.withLock { state.faults.isEmpty ? nil : state.faults.removeFirst() }
    }

    /// The lines of an order after the back office changed them, if it did.
    var currentLines: [String: [JSONValue]] { state.lock.withLock { state.currentLines } }

    func setCurrentLines(_ orderId: String, _ lines: [JSONValue]) {
        state.lock.withLock { state.currentLines[orderId] = lines }
    }

    /// How many requests were answered since the start.
    public var requestCount: Int { state.lock.withLock { state.requestCount } }

    /// Starts or ends an outage: while it lasts every request is answered 503, as an ERP in a
    /// maintenance window does, and the requests are counted.
    public func setOutage(_ down: Bool) {
        state.lock.withLock { state.down = down }
    }

    /// Makes every `POST /orders` take this many seconds before the order is taken and answered, as a busy ERP does:
    /// orders stay in flight for a while (the failover test's faults strike them there).
    public func setOrderLatency(_ seconds: Double) {
        state.lock.withLock { state.orderSeconds = seconds }
    }

    /// The requests answered during outages, and the most of them that were under way at once.
    public var outageLoad: (requests: Int, mostAtOnce: Int) {
        state.lock.withLock { (state.outageRequests, state.outageMostAtOnce) }
    }

    /// Answers one HTTP request.
    public func handle(_ request: FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse {
        let down = state.lock.withLock {
            state.requestCount += 1
            state.inFlight += 1
            if state.down {
                state.outageRequests += 1
                state.outageMostAtOnce = max(state.outageMostAtOnce, state.inFlight)
            }
            return state.down
        }
        defer { state.lock.withLock { state.inFlight -= 1 } }
        guard !down else {
            return respond(503, Self.error("maintenance", "The back office is down for maintenance."))
        }
        return await answer(request)
    }

    private func answer(_ request: FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse {
        let path = request.target.path(percentEncoded: false)
        let method = request.method.rawValue
        guard isAuthorized(request) else {
            return respond(
                401, Self.error("unauthorized", "Send 'Authorization: Bearer <token>' or HTTP basic credentials."),
                extraHeaders: [HTTPHeader("WWW-Authenticate"): "Bearer, Basic realm=\"backoffice\""])
        }
        guard let route = BackOfficeRoute(path: path) else {
            return respond(404, Self.error("not_found", "No route for \(method) \(path)."))
        }
        guard method == route.method else {
            return respond(
                405, Self.error("method_not_allowed", "\(method) is not allowed on \(path); it takes \(route.method)."),
                extraHeaders: [HTTPHeader("Allow"): route.method])
        }
        switch route {
        case .orders:
            let body = (try? await request.bodyData) ?? Data()
            let delay = state.lock.withLock { state.orderSeconds }
            if delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
            if let fault = nextFault() { return await fault.response() }
            return submit(body: [UInt8](body), key: request.header("Idempotency-Key"))
        case .changes:
            let query = Dictionary(request.decodedQuery.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
            guard let after = ChangeFeed.cursor(query["after"] ?? "0"),
                let limit = ChangeFeed.limit(query["limit"] ?? String(ChangeFeed.defaultLimit))
            else {
                let limits = "\(ChangeFeed.limits.lowerBound) to \(ChangeFeed.limits.upperBound)"
                let message = "after must be a cursor from this feed's next (1 to 18 digits, 0 for the start) and limit an integer from \(limits)."
                return respond(400, Self.error("invalid_cursor", message))
            }
            let events = feed.page(after: after, limit: limit)
            let next = events.last?["sequence"]?.intValue ?? after
            return respond(200, ["events": .array(events), "next": .string(String(next))])
        case .orderEvents(let id):
            let body = (try? JSONParser.parse([UInt8]((try? await request.bodyData) ?? Data()))) ?? .null
            return play(id, instruction: body)
        case .faults:
            let body = (try? JSONParser.parse([UInt8]((try? await request.bodyData) ?? Data()))) ?? .null
            guard let fault = BackOfficeFault(body) else {
                return respond(400, Self.error("invalid_fault", "kind must be status, throttle, hang or drop."))
            }
            let count = body["count"]?.intValue ?? 1
            inject(fault, count: count)
            return respond(201, ["queued": .int(count)])
        case .receivedOrders:
            // `from`: the orders received after the first `from`, for a client that follows what arrives.
            let from = request.decodedQuery.last { $0.name == "from" }.flatMap { Int($0.value) } ?? 0
            return respond(200, ["orders": .array(receivedOrders.dropFirst(max(0, from)).map(\.json))])
        case .order(let id):
            guard let order = receivedOrders.first(where: { $0.id == id }) else {
                return respond(404, Self.error("not_found", "No order \(id)."))
            }
            return respond(200, order.json)
        }
    }

    /// `POST /_admin/orders/{id}/events`: `{"type": "accepted" | "linesChanged" | "shipped" | "invoiced" |
    /// "canceled" | "rejected" | "deleted", "discountPercent": 5, "complete": true, "reason": "…"}`.
    private func play(_ orderId: String, instruction: JSONValue) -> FlyingFox.HTTPResponse {
        guard let type = instruction["type"]?.stringValue.flatMap(ChangeEventKind.init(rawValue:)) else {
            let types = ChangeEventKind.allCases.map(\.rawValue).joined(separator: ", ")
            return respond(400, Self.error("invalid_event", "type must be one of \(types)."))
        }
        do {
            let event: JSONValue
            switch type {
            case .accepted: event = try accept(orderId)
            case .linesChanged:
                let percent = instruction["discountPercent"]?.numberText.flatMap { Decimal(string: $0) } ?? 5
                event = try changeLines(orderId, discountPercent: percent)
            case .shipped: event = try ship(orderId, complete: instruction["complete"]?.boolValue ?? true)
            case .invoiced: event = try invoice(orderId)
            case .canceled, .rejected, .deleted:
                event = try end(orderId, as: type, reason: instruction["reason"]?.stringValue ?? "no reason given")
            }
            return respond(201, event)
        } catch {
            return respond(404, Self.error("not_found", error.message))
        }
    }

    private func isAuthorized(_ request: FlyingFox.HTTPRequest) -> Bool {
        guard let value = request.header("Authorization") else { return false }
        if let token = request.bearerToken { return token == credentials.bearerToken }
        guard value.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let pair = String(data: decoded, encoding: .utf8)
        else { return false }
        return pair == "\(credentials.user):\(credentials.password)"
    }

    private func submit(body: [UInt8], key: String?) -> FlyingFox.HTTPResponse {
        guard let key, !key.isEmpty else {
            return respond(400, Self.error("missing_idempotency_key", "Send an Idempotency-Key header with every order."))
        }
        guard Self.isIdempotencyKey(key) else {
            let message = "Idempotency-Key must be 1 to \(Self.maxIdempotencyKeyLength) visible ASCII characters, without spaces."
            return respond(400, Self.error("invalid_idempotency_key", message))
        }
        guard let document = try? JSONParser.parse(body), document.objectValue != nil else {
            return respond(400, Self.error("invalid_json", "The body is not a JSON object."))
        }
        return state.lock.withLock {
            if let earlier = state.answers[key] {
                guard earlier.document == document else {
                    return respond(
                        409, Self.error("idempotency_key_reused", "Idempotency-Key \(key) was used with a different document."))
                }
                if let index = state.orders.firstIndex(where: { $0.idempotencyKey == key }) {
                    state.orders[index].deliveries += 1
                }
                return respond(earlier.status, earlier.body, extraHeaders: [HTTPHeader("Idempotent-Replayed"): "true"])
            }
            let reasons = OrderDocumentValidator.reasons(document)
            let answer: StoredAnswer
            if reasons.isEmpty {
                let id = String(format: "BO-%06d", state.orders.count + 1)
                state.orders.append(ReceivedOrder(id: id, idempotencyKey: key, document: document, deliveries: 1, receivedAt: Date()))
                answer = StoredAnswer(
                    status: 201, body: ["id": .string(id), "orderNumber": document["orderNumber"] ?? .null, "status": "received"],
                    document: document)
                logger.debug("back office received order", metadata: ["id": "\(id)"])
            } else {
                var body = Self.error("unprocessable_order", "The order document cannot be accepted.")
                if case .object(var members) = body, case .object(var error) = members["error"] {
                    error["reasons"] = .array(reasons.map { .string($0) })
                    members["error"] = .object(error)
                    body = .object(members)
                }
                answer = StoredAnswer(status: 422, body: body, document: document)
            }
            state.answers[key] = answer
            return respond(answer.status, answer.body)
        }
    }

    /// The longest `Idempotency-Key` the back office keeps (contract v1).
    static let maxIdempotencyKeyLength = 200

    /// Whether `key` is an `Idempotency-Key` of contract v1: 1 to 200 visible ASCII characters (`^[!-~]+$`).
    static func isIdempotencyKey(_ key: String) -> Bool {
        !key.isEmpty && key.unicodeScalars.count <= maxIdempotencyKeyLength
            && key.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) }
    }

    private static func error(_ code: String, _ message: String) -> JSONValue {
        ["error": ["code": .string(code), "message": .string(message)]]
    }

    private func respond(_ status: Int, _ body: JSONValue, extraHeaders: HTTPHeaders = [:]) -> FlyingFox.HTTPResponse {
        var headers = extraHeaders
        headers[HTTPHeader("Content-Type")] = "application/json"
        return FlyingFox.HTTPResponse(
            statusCode: HTTPStatusCode(status, phrase: ""), headers: headers, body: Data(body.serialized()))
    }
}
