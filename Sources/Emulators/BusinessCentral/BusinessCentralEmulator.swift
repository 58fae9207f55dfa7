import BackOffice
import FlyingFox
import Foundation
import JSON
import Logging

/// The Business Central API v2.0 slice sopd's `business-central` profile uses, emulated with the discipline of the
/// Dataverse emulator: the documented URLs, OData query options, JSON shapes, statuses and error bodies
/// (docs/business-central-facts.md; the choices made where the documentation is silent are in docs/emulators.md).
///
/// - `POST {tenant}/oauth2/v2.0/token`: the identity platform's client credentials for the scope
///   `https://api.businesscentral.dynamics.com/.default`.
/// - `/v2.0/{tenant}/{environment}/api/v2.0/companies({id})/…`: `customers`, `items`, `salesOrders` (GET with
///   `$filter`, `$orderby`, `$top`, `$select`, `$expand=salesOrderLines`; POST with `salesOrderLines` deep insert;
///   `salesOrders({id})/Microsoft.NAV.shipAndInvoice`), `salesShipments`, `salesInvoices` (with their lines).
/// - Tests and the demo, as BC's users: `POST /_admin/salesOrders/{number}/release | ship | invoice`,
///   `GET /_admin/state`, `POST /_admin/faults`.
public final class BusinessCentralEmulator: Sendable {
    /// The environment the API answers under.
    public static let environment = "production"
    /// The company's id.
    public static let companyId = "bc000000-0000-0000-0000-000000000001"

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var tokens: [String: Date] = [:]
        var faults: [CreateFault] = []
        var createsReceived = 0
        var tokensIssued = 0
    }

    private let book = BusinessCentralBook()
    private let state = State()
    private let logger: Logger

    /// An empty company with the demo catalog.
    public init(logger: Logger = Logger(label: "sop-emulator.businesscentral")) {
        self.logger = logger
    }

    /// The company's API root under `baseURL`: what `backoffice.url` is set to.
    public static func companyURL(baseURL: String) -> String {
        "\(baseURL)/v2.0/\(EmulatorIdentities.tenantId)/\(environment)/api/v2.0/companies(\(companyId))"
    }

    /// The token endpoint under `baseURL`: what `backoffice.tokenURL` is set to.
    public static func tokenURL(baseURL: String) -> String {
        "\(baseURL)/\(EmulatorIdentities.tenantId)/oauth2/v2.0/token"
    }

    /// The sales orders now, with their lines.
    public var salesOrders: [JSONValue] { book.rows("salesOrders", expanding: true) }
    /// The posted invoices, with their lines.
    public var salesInvoices: [JSONValue] { book.rows("salesInvoices", expanding: true) }
    /// The creates received, answered or not.
    public var createsReceived: Int { state.lock.withLock { state.createsReceived } }

    /// Answers the next `count` creates with `fault`.
    public func inject(_ fault: CreateFault, count: Int = 1) {
        state.lock.withLock { state.faults += Array(repeating: fault, count: count) }
    }

    /// Releases order `number`, as a user does in BC; false when there is none.
    @discardableResult
    public func release(_ number: String) -> Bool { book.release(orderNumber: number, now: Date()) }

    /// Posts a shipment of order `number`.
    @discardableResult
    public func ship(_ number: String, complete: Bool) -> JSONValue? { book.ship(orderNumber: number, complete: complete, now: Date()) }

    /// Posts order `number` with Ship and Invoice; the fully invoiced order is deleted.
    @discardableResult
    public func invoice(_ number: String) -> JSONValue? { book.invoice(orderNumber: number, now: Date()) }

    /// Answers one request.
    public func handle(_ request: FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse {
        let path = request.target.path(percentEncoded: false)
        let body = (try? await request.bodyData).map { [UInt8]($0) } ?? []
        let method = request.method.rawValue
        if path.hasPrefix("/_admin/") { return admin(method, path.split(separator: "/").dropFirst().map(String.init), body: body) }
        if method == "POST", path == "/\(EmulatorIdentities.tenantId)/oauth2/v2.0/token" { return issueToken(body) }
        guard let token = request.bearerToken, isValid(token) else {
            return respond(
                BusinessCentralError(status: 401, code: "Authentication_InvalidCredentials", message: "The server has rejected the client credentials."))
        }
        let root = "/v2.0/\(EmulatorIdentities.tenantId)/\(Self.environment)/api/v2.0"
        guard path.hasPrefix(root) else {
            return respond(BusinessCentralError(status: 404, code: "BadRequest_NotFound", message: "No HTTP resource was found that matches the request URI."))
        }
        let rest = String(path.dropFirst(root.count))
        do throws(BusinessCentralError) {
            if rest == "/companies" {
                guard method == "GET" else { throw Self.methodNotAllowed(method) }
                return respond(200, list([["id": .string(Self.companyId), "name": "CRONUS USA, Inc.", "displayName": "CRONUS USA, Inc."]], set: "companies"))
            }
            let company = "/companies(\(Self.companyId))/"
            guard rest.hasPrefix(company) else {
                throw BusinessCentralError(status: 404, code: "Internal_CompanyNotFound", message: "The company does not exist.")
            }
            return try await resource(method, String(rest.dropFirst(company.count)), query: request.decodedQuery, body: body)
        } catch {
            return respond(error)
        }
    }

    private func resource(_ method: String, _ path: String, query: [(name: String, value: String)], body: [UInt8]) async throws(BusinessCentralError)
        -> FlyingFox.HTTPResponse
    {
        let sets = ["customers", "items", "salesOrders", "salesShipments", "salesInvoices"]
        if sets.contains(path) {
            let options = try BusinessCentralQuery(query)
            if method == "POST", path == "salesOrders" { return try await create(body, expand: options.expand.contains("salesOrderLines")) }
            guard method == "GET" else { throw Self.methodNotAllowed(method) }
            let lines = ["salesOrders": "salesOrderLines", "salesShipments": "salesShipmentLines", "salesInvoices": "salesInvoiceLines"][path]
            if let unknown = options.expand.first(where: { $0 != lines }) {
                throw BusinessCentralError.badRequest("Could not find a property named '\(unknown)' on type 'Microsoft.NAV.\(path.dropLast())'.")
            }
            let rows = options.apply(to: book.rows(path, expanding: !options.expand.isEmpty)).map(options.selected)
            return respond(200, list(rows, set: path))
        }
        // salesOrders({id}) and its bound action.
        guard path.hasPrefix("salesOrders("), let close = path.firstIndex(of: ")") else {
            throw BusinessCentralError(status: 404, code: "BadRequest_NotFound", message: "No HTTP resource was found that matches the request URI.")
        }
        let id = String(path[path.index(path.startIndex, offsetBy: "salesOrders(".count)..<close])
        let after = String(path[path.index(after: close)...])
        guard let number = book.orderNumber(id: id) else { throw BusinessCentralError.notFound("salesOrder", id) }
        switch (method, after) {
        case ("GET", ""):
            return respond(200, book.rows("salesOrders", expanding: false).first { $0["id"]?.stringValue == id } ?? .null)
        case ("POST", "/Microsoft.NAV.shipAndInvoice"):
            guard book.invoice(orderNumber: number, now: Date()) != nil else {
                throw BusinessCentralError.dialog("There is nothing to post for order \(number).")
            }
            return FlyingFox.HTTPResponse(statusCode: .noContent)
        default:
            throw Self.methodNotAllowed(method)
        }
    }

    private func create(_ body: [UInt8], expand: Bool) async throws(BusinessCentralError) -> FlyingFox.HTTPResponse {
        let fault = state.lock.withLock {
            state.createsReceived += 1
            return state.faults.isEmpty ? nil : state.faults.removeFirst()
        }
        switch fault {
        case .status(let status):
            throw BusinessCentralError(status: status, code: "Internal_ServerError", message: "A fault injected for testing.")
        case .hang(let seconds):
            try? await Task.sleep(for: .seconds(seconds))
            throw BusinessCentralError(status: 503, code: "Internal_TenantUnavailable", message: "The service is temporarily unavailable.")
        case .commitThenHang, nil:
            break
        }
        guard let json = try? JSONParser.parse(body) else { throw BusinessCentralError.badRequest("The request body is not valid JSON.") }
        var order = try book.createOrder(json, now: Date())
        if expand, let id = order["id"]?.stringValue {
            order = book.rows("salesOrders", expanding: true).first { $0["id"]?.stringValue == id } ?? order
        }
        logger.debug("Business Central created a sales order", metadata: ["number": "\(order["number"]?.stringValue ?? "")"])
        if case .commitThenHang(let seconds) = fault { try? await Task.sleep(for: .seconds(seconds)) }
        return respond(201, order)
    }

    private func list(_ rows: [JSONValue], set: String) -> JSONValue {
        ["@odata.context": .string("/api/v2.0/$metadata#companies(\(Self.companyId))/\(set)"), "value": .array(rows)]
    }

    private static func methodNotAllowed(_ method: String) -> BusinessCentralError {
        BusinessCentralError(status: 405, code: "BadRequest_MethodNotAllowed", message: "'\(method)' requests for this resource are not supported.")
    }

    private func isValid(_ token: String) -> Bool {
        state.lock.withLock { state.tokens[token].map { $0 > Date() } ?? false }
    }

    /// The identity platform's token endpoint for BC's scope.
    private func issueToken(_ body: [UInt8]) -> FlyingFox.HTTPResponse {
        let form = Dictionary(QueryString.decode(String(decoding: body, as: UTF8.self)), uniquingKeysWith: { _, last in last })
        func refuse(_ status: Int, _ error: String, _ description: String) -> FlyingFox.HTTPResponse {
            respond(status, ["error": .string(error), "error_description": .string(description)])
        }
        guard form["grant_type"] == "client_credentials" else {
            return refuse(400, "unsupported_grant_type", "AADSTS70003: only client_credentials is supported here.")
        }
        guard form["scope"] == BusinessCentralProfile.scope else { return refuse(400, "invalid_scope", "AADSTS70011: the scope must be \(BusinessCentralProfile.scope).") }
        guard form["client_id"] == EmulatorIdentities.businessCentralClientId, form["client_secret"] == EmulatorIdentities.businessCentralClientSecret
        else { return refuse(401, "invalid_client", "AADSTS7000215: Invalid client secret or unknown client.") }
        let token = "bc-" + UUID().uuidString.lowercased()
        state.lock.withLock {
            state.tokens[token] = Date().addingTimeInterval(3599)
            state.tokensIssued += 1
        }
        return respond(200, ["token_type": "Bearer", "expires_in": 3599, "access_token": .string(token)])
    }

    private func admin(_ method: String, _ parts: [String], body: [UInt8]) -> FlyingFox.HTTPResponse {
        let instruction = (try? JSONParser.parse(body)) ?? .null
        if method == "GET", parts == ["state"] {
            return respond(
                200,
                [
                    "salesOrders": .array(salesOrders), "salesShipments": .array(book.rows("salesShipments", expanding: true)),
                    "salesInvoices": .array(salesInvoices), "createsReceived": .int(createsReceived),
                ])
        }
        if method == "POST", parts == ["faults"] {
            guard let fault = CreateFault(instruction) else { return respond(400, ["message": "kind must be status, hang or commitThenHang."]) }
            let count = instruction["count"]?.intValue ?? 1
            inject(fault, count: count)
            return respond(201, ["queued": .int(count)])
        }
        guard method == "POST", parts.count == 3, parts[0] == "salesOrders" else { return respond(404, ["message": "No such admin route."]) }
        let number = parts[1]
        let done: JSONValue? =
            switch parts[2] {
            case "release": release(number) ? ["released": .string(number)] : nil
            case "ship": ship(number, complete: instruction["complete"]?.boolValue ?? true)
            case "invoice": invoice(number)
            default: nil
            }
        guard let done else { return respond(404, ["message": .string("No order \(number), or nothing to \(parts[2]).")]) }
        return respond(200, done)
    }

    private func respond(_ error: BusinessCentralError) -> FlyingFox.HTTPResponse {
        respond(error.status, error.body)
    }

    private func respond(_ status: Int, _ body: JSONValue) -> FlyingFox.HTTPResponse {
        FlyingFox.HTTPResponse(
            statusCode: HTTPStatusCode(status, phrase: ""), headers: [HTTPHeader("Content-Type"): "application/json; odata.metadata=minimal"],
            body: Data(body.serialized()))
    }
}
