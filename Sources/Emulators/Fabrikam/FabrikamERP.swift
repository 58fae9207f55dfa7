import FlyingFox
import Foundation
import JSON
import Logging
import SalesRules

/// Fabrikam ERP: a fictitious ERP's REST API, the worked example of `backoffice.adapter: http-mapping`
/// (docs/adapters.md, docs/examples/fabrikam-erp.yaml). Unlike contract v1 it keeps no idempotency keys and happily
/// stores two orders with the same reference, as many ERPs do: only sopd's lookup before each create keeps an order
/// from arriving twice, which the tests count here.
///
/// - `POST /api/v1/sales-orders`: `{"reference", "customer": {"code", "name"}, "currency", "requestedDelivery",
///   "lines": [{"sku", "description", "quantity", "unitPrice"}]}` → 201 with the order; 400 `{"message", "details"}`
///   when a rule is broken.
/// - `GET /api/v1/sales-orders?reference=R`: `{"items": [...]}`, the orders with that reference.
/// - `GET /api/v1/sales-orders?updatedSince=T&limit=N`: the orders changed at or after `T`, oldest first.
/// - `GET /api/v1/sales-orders/{id}`.
/// - Tests and the demo: `POST /_admin/sales-orders/{id}/status` `{"status": "confirmed" | "shipped" | "invoiced" |
///   "cancelled" | "refused", "reason"}`, `GET /_admin/sales-orders`, `POST /_admin/faults`, and the notifications
///   of `FabrikamWebhook` (`POST /_admin/webhook`, `GET /_admin/webhook/deliveries`).
/// Every request but the admin ones needs `Authorization: Bearer fabrikam-token`.
public final class FabrikamERP: Sendable {
    /// The bearer token Fabrikam accepts.
    public static let token = "fabrikam-token"

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var orders: [JSONValue] = []
        var faults: [CreateFault] = []
        var createsReceived = 0
        var lastStamp = Date(timeIntervalSince1970: 0)
    }

    private let state = State()
    private let webhook = FabrikamWebhook()
    private let logger: Logger

    /// An empty ERP.
    public init(logger: Logger = Logger(label: "sop-emulator.fabrikam")) {
        self.logger = logger
    }

    /// Every order, in the order created.
    public var orders: [JSONValue] { state.lock.withLock { state.orders } }

    /// The creates received, answered or not.
    public var createsReceived: Int { state.lock.withLock { state.createsReceived } }

    /// Answers the next `count` creates with `fault`.
    public func inject(_ fault: CreateFault, count: Int = 1) {
        state.lock.withLock { state.faults += Array(repeating: fault, count: count) }
    }

    /// Answers one request.
    public func handle(_ request: FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse {
        let path = request.target.path(percentEncoded: false)
        let parts = path.split(separator: "/").map(String.init)
        let method = request.method.rawValue
        let query = Dictionary(request.decodedQuery.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        let body = (try? await request.bodyData).map { [UInt8]($0) } ?? []
        if parts.first == "_admin" { return admin(method, Array(parts.dropFirst()), body: body) }
        guard request.bearerToken == Self.token else {
            return respond(401, ["message": "Send Authorization: Bearer <token>."])
        }
        let resource = Array(parts.prefix(3)) == ["api", "v1", "sales-orders"] ? Array(parts.dropFirst(3)) : nil
        switch (method, resource) {
        case ("POST", []?):
            return await create(body)
        case ("GET", []?):
            return list(query)
        case ("GET", let path?) where path.count == 1:
            guard let order = orders.first(where: { $0["id"]?.stringValue == path[0] }) else {
                return respond(404, ["message": .string("No sales order \(path[0]).")])
            }
            return respond(200, order)
        default:
            return respond(404, ["message": .string("No route for \(method) \(path).")])
        }
    }

    private func create(_ body: [UInt8]) async -> FlyingFox.HTTPResponse {
        let fault = state.lock.withLock {
            state.createsReceived += 1
            return state.faults.isEmpty ? nil : state.faults.removeFirst()
        }
        switch fault {
        case .status(let status):
            return respond(status, ["message": "A fault injected for testing."])
        case .hang(let seconds):
            try? await Task.sleep(for: .seconds(seconds))
            return respond(503, ["message": "The ERP is busy."])
        case .commitThenHang, nil:
            break
        }
        guard let document = try? JSONParser.parse(body), document.objectValue != nil else {
            return respond(400, ["message": "The body is not a JSON object.", "details": []])
        }
        let problems = Self.problems(document)
        guard problems.isEmpty else {
            return respond(400, ["message": .string("The sales order breaks \(problems.count) rule(s): \(problems.joined(separator: "; "))"), "details": .array(problems.map(JSONValue.string))])
        }
        let order = state.lock.withLock {
            let number = state.orders.count + 1
            let lines = (document["lines"]?.arrayValue ?? []).enumerated().map { index, line in
                Self.line(line, number: index + 1)
            }
            let total = lines.compactMap { $0["amount"]?.numberText.flatMap { Decimal(string: $0) } }.reduce(0, +)
            let order: JSONValue = [
                "id": .string(String(format: "FAB-%06d", number)), "number": .string("SO-\(100_000 + number)"),
                "reference": document["reference"] ?? .null, "customer": document["customer"] ?? .null,
                "currency": document["currency"] ?? .null, "requestedDelivery": document["requestedDelivery"] ?? .null,
                "lines": .array(lines), "total": .number(Money.literal(total)), "status": "open", "statusReason": .null,
                "shippedAt": .null, "invoice": .null, "updatedAt": .string(stamp()),
            ]
            state.orders.append(order)
            return order
        }
        logger.debug("Fabrikam created a sales order", metadata: ["id": "\(order["id"]?.stringValue ?? "")"])
        if case .commitThenHang(let seconds) = fault { try? await Task.sleep(for: .seconds(seconds)) }
        return respond(201, order)
    }

    /// What a create body breaks: a reference, a customer code and at least one line with a quantity above 0 and a
    /// unit price of 0 or more are required.
    static func problems(_ document: JSONValue) -> [String] {
        var problems: [String] = []
        if (document["reference"]?.stringValue ?? "").isEmpty { problems.append("reference is required") }
        if (document["customer"]?["code"]?.stringValue ?? "").isEmpty { problems.append("customer.code is required") }
        let lines = document["lines"]?.arrayValue ?? []
        if lines.isEmpty { problems.append("at least one line is required") }
        for (index, line) in lines.enumerated() {
            let quantity = line["quantity"]?.numberText.flatMap { Decimal(string: $0) } ?? 0
            if quantity <= 0 { problems.append("lines[\(index)].quantity must be above 0") }
            if (line["unitPrice"]?.numberText.flatMap { Decimal(string: $0) } ?? -1) < 0 {
                problems.append("lines[\(index)].unitPrice must be a number of 0 or more")
            }
        }
        return problems
    }

    private static func line(_ line: JSONValue, number: Int) -> JSONValue {
        let decimal = { (value: JSONValue?) in value?.numberText.flatMap { Decimal(string: $0) } ?? 0 }
        let amount = Money.round(decimal(line["quantity"]) * decimal(line["unitPrice"]), precision: 2)
        return [
            "lineNo": .int(number), "sku": line["sku"] ?? .null, "description": line["description"] ?? .null,
            "quantity": line["quantity"] ?? .null, "unitPrice": line["unitPrice"] ?? .null, "amount": .number(Money.literal(amount)),
        ]
    }

    private func list(_ query: [String: String]) -> FlyingFox.HTTPResponse {
        if let reference = query["reference"] {
            return respond(200, ["items": .array(orders.filter { $0["reference"]?.stringValue == reference })])
        }
        guard let since = query["updatedSince"], let from = ERPTime.date(since) else {
            return respond(400, ["message": "Give reference=R, or updatedSince=<RFC 3339 time> (and limit=N)."])
        }
        let limit = query["limit"].flatMap(Int.init) ?? 100
        guard (1...500).contains(limit) else { return respond(400, ["message": "limit must be from 1 to 500."]) }
        let changed = orders.filter { order in (order["updatedAt"]?.stringValue).flatMap(ERPTime.date).map { $0 >= from } ?? false }
            .sorted { ($0["updatedAt"]?.stringValue ?? "", $0["id"]?.stringValue ?? "") < ($1["updatedAt"]?.stringValue ?? "", $1["id"]?.stringValue ?? "") }
        return respond(200, ["items": .array(Array(changed.prefix(limit)))])
    }

    private func admin(_ method: String, _ parts: [String], body: [UInt8]) -> FlyingFox.HTTPResponse {
        let instruction = (try? JSONParser.parse(body)) ?? .null
        if method == "POST", parts == ["webhook"] {
            guard let url = instruction["url"]?.stringValue, let secret = instruction["secret"]?.stringValue else {
                return respond(400, ["message": "Give url and secret (and caFile for an HTTPS receiver of a private CA)."])
            }
            webhook.register(url: url, secret: secret, caFile: instruction["caFile"]?.stringValue)
            return respond(201, ["registered": .string(url)])
        }
        if method == "GET", parts == ["webhook", "deliveries"] {
            return respond(200, ["deliveries": .array(webhook.sent)])
        }
        if method == "GET", parts == ["sales-orders"] {
            return respond(200, ["orders": .array(orders), "createsReceived": .int(createsReceived)])
        }
        if method == "POST", parts.count == 3, parts[0] == "sales-orders", parts[2] == "status" {
            guard let status = instruction["status"]?.stringValue, Self.statuses.contains(status) else {
                return respond(400, ["message": .string("status must be one of \(Self.statuses.joined(separator: ", ")).")])
            }
            guard let order = setStatus(parts[1], status, reason: instruction["reason"]?.stringValue) else {
                return respond(404, ["message": .string("No sales order \(parts[1]).")])
            }
            return respond(200, order)
        }
        guard method == "POST", parts == ["faults"] else { return respond(404, ["message": "No such admin route."]) }
        guard let fault = CreateFault(instruction) else {
            return respond(400, ["message": "kind must be status, hang or commitThenHang."])
        }
        let count = instruction["count"]?.intValue ?? 1
        inject(fault, count: count)
        return respond(201, ["queued": .int(count)])
    }

    /// The statuses an order moves through after `open`.
    static let statuses = ["confirmed", "shipped", "invoiced", "cancelled", "refused"]

    /// Moves order `id` to `status` (an invoice for `invoiced`, the ship time for `shipped`, the reason for the
    /// others), as the ERP's users would; nil when there is no such order.
    @discardableResult
    public func setStatus(_ id: String, _ status: String, reason: String? = nil) -> JSONValue? {
        let changed: JSONValue? = state.lock.withLock {
            guard let index = state.orders.firstIndex(where: { $0["id"]?.stringValue == id }),
                case .object(var order) = state.orders[index]
            else { return nil }
            let now = stamp()
            order["status"] = .string(status)
            order["updatedAt"] = .string(now)
            switch status {
            case "shipped": order["shippedAt"] = .string(now)
            case "invoiced":
                order["invoice"] = [
                    "number": .string("FINV-\(id.dropFirst(4))"), "date": .string(now), "total": order["total"] ?? .null,
                ]
            case "cancelled", "refused": order["statusReason"] = .string(reason ?? "no reason given")
            default: break
            }
            state.orders[index] = .object(order)
            return .object(order)
        }
        if let changed { webhook.notify(changed) }
        return changed
    }

    /// Now, to the millisecond, as the ERP stamps `updatedAt`; never before the last stamp.
    private func stamp() -> String {
        let now = max(Date(), state.lastStamp)
        state.lastStamp = now
        return ERPTime.stamp(now)
    }

    private func respond(_ status: Int, _ body: JSONValue) -> FlyingFox.HTTPResponse {
        FlyingFox.HTTPResponse(
            statusCode: HTTPStatusCode(status, phrase: ""), headers: [HTTPHeader("Content-Type"): "application/json"],
            body: Data(body.serialized()))
    }
}
