import Clocks
import FlyingFox
import Foundation
import JSON
import Logging

/// A Dataverse Web API emulator at `/api/data/v9.2/`: `WhoAmI`, and GET (collections with
/// `$select`, `$filter`, `$expand`, `$orderby`, `$top` and paging; single rows), POST, PATCH and DELETE
/// on every table of its schema, with ETags, `Prefer` handling and Dataverse-shaped errors.
/// Callers are system users known by bearer token.
public final class DataverseEmulator: Sendable {
    /// The path every Web API URL starts with.
    public static let apiPath = "/api/data/v9.2"
    /// The default and largest page size, as in Dataverse.
    public static let maximumPageSize = 5000
    /// The business unit `WhoAmI` reports.
    public static let businessUnitId = "b0000000-0000-0000-0000-000000000001"

    /// The tables and their rows.
    public let store: EntityStore
    private let state = LockedState()
    private let logger: Logger

    private final class LockedState: @unchecked Sendable {
        let lock = NSLock()
        var tokens: [String: String] = [:]
        var requestCounts: [String: Int] = [:]
        var changeBeforeNextWrites: [String: Int] = [:]
        var refuseNextWrite: Set<String> = []
        var deltaTokenLifetime: Double = 7 * 86_400
        var clients: [String: (secret: String, userId: String)] = [:]
        var issued: [String: (userId: String, expiresAt: Date)] = [:]
        var tokenLifetime: Double = 3600
        var tokensIssued = 0
        var expireTokensAfter: Int?
        var limits = (requests: 6000, windowSeconds: 300.0, concurrent: 52, executionSeconds: 1200.0)
        var clock: any WallClock = SystemClock()
        var outageAfter: Int?
        var interruptWriteOf: String?
        var interruptedWriteWaiting = false
        var interruptedWriteReleased = false
        var recent: [String: [Date]] = [:]
        /// When each request of a user ended, and how long it ran: the execution-time limit's window.
        var executed: [String: [(end: Date, seconds: Double)]] = [:]
        var inFlight: [String: Int] = [:]
        var throttled = 0
        var scheme = "http"
    }

    /// Creates an emulator over `store`.
    public init(store: EntityStore = EntityStore(), logger: Logger = Logger(label: "sop-emulator.dataverse")) {
        self.store = store
        self.logger = logger
    }

    /// Makes links start with `https://`: the emulator is reached only through a TLS front
    /// (`sop-emulator --tls-cert`), which relays the client's bytes, `Host` header included.
    public func servedOverTLS() {
        state.lock.withLock { state.scheme = "https" }
    }

    /// Lets bearer `token` act as system user `userId`.
    public func register(token: String, userId: String) {
        state.lock.lock()
        state.tokens[token] = userId.lowercased()
        state.lock.unlock()
    }

    /// Lets OAuth client `clientId` with `secret` get tokens (client credentials) that act as system user `userId`.
    public func register(clientId: String, secret: String, userId: String) {
        state.lock.withLock { state.clients[clientId] = (secret, userId.lowercased()) }
    }

    /// Seconds the tokens issued from now on stay valid (`expires_in`); tests shorten it.
    public func setTokenLifetime(_ seconds: Double) {
        state.lock.withLock { state.tokenLifetime = seconds }
    }

    /// Makes every token issued so far expire once `requests` more requests were answered: how tests
    /// reproduce a token that expires in the middle of a cycle.
    public func expireIssuedTokens(afterRequests requests: Int) {
        state.lock.withLock { state.expireTokensAfter = requests }
    }

    /// Sets the service protection limits per user (Dataverse: 6000 requests and 1,200 s of combined
    /// execution time per 300 s, 52 at once); tests scale them down, and keep the window's time on a
    /// clock of their own. A `$batch` counts once against `requests`, and its whole time against `executionSeconds`.
    public func setServiceProtection(requests: Int, windowSeconds: Double, concurrent: Int, executionSeconds: Double = 1200) {
        state.lock.withLock { state.limits = (requests, windowSeconds, concurrent, executionSeconds) }
    }

    /// Keeps the emulator's time on `clock`: access tokens' and delta tokens' lifetimes, and the service
    /// protection window. Tests move it by hand, so an expiry or a full window never depends on how fast
    /// the machine is.
    public func setClock(_ clock: any WallClock) {
        state.lock.withLock { state.clock = clock }
    }

    private var now: Date { state.lock.withLock { state.clock.now() } }

    /// Starts an outage once `requests` more Web API requests were answered (0: at once): every request
    /// after that is answered 503, until `endOutage`. How tests take Dataverse down between a read and a write.
    public func startOutage(afterRequests requests: Int = 0) {
        state.lock.withLock { state.outageAfter = requests }
    }

    /// Ends the outage.
    public func endOutage() {
        state.lock.withLock { state.outageAfter = nil }
    }

    /// The answer during an outage, and to a held write.
    private static let unavailable = DataverseFault(status: 503, code: "0x80040216", message: "The service is unavailable.")

    /// Holds the next PATCH of row `id` (on its own, or in a `$batch`) unanswered until `releaseInterruptedWrite`,
    /// then answers it 503 without applying it: how tests kill sopd in the middle of an event.
    public func interruptNextWrite(of id: String) {
        state.lock.withLock {
            state.interruptWriteOf = id.lowercased()
            state.interruptedWriteWaiting = false
            state.interruptedWriteReleased = false
        }
    }

    /// Whether the interrupted write arrived and is being held.
    public var interruptedWriteWaiting: Bool { state.lock.withLock { state.interruptedWriteWaiting } }

    /// Lets the held write go, unapplied.
    public func releaseInterruptedWrite() {
        state.lock.withLock { state.interruptedWriteReleased = true }
    }

    /// Holds `request` if it is the interrupted write; true when it was (and must not be applied).
    private func heldAsInterrupted(_ request: FlyingFox.HTTPRequest, body: Data) async -> Bool {
        let path = request.target.path(percentEncoded: false).lowercased()
        let matches = state.lock.withLock {
            guard let id = state.interruptWriteOf else { return false }
            let alone = request.method.rawValue == "PATCH" && path.hasSuffix("(\(id))")
            let batched =
                request.method.rawValue == "POST" && path.hasSuffix("/$batch")
                && String(decoding: body, as: UTF8.self).lowercased().split(separator: "\r\n").contains { line in
                    line.hasPrefix("patch ") && line.hasSuffix("/salesorders(\(id)) http/1.1")
                }
            guard alone || batched else { return false }
            state.interruptWriteOf = nil
            state.interruptedWriteWaiting = true
            return true
        }
        guard matches else { return false }
        while !state.lock.withLock({ state.interruptedWriteReleased }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// How many requests were answered 429 for a service protection limit.
    public var throttledCount: Int { state.lock.withLock { state.throttled } }

    /// Counts a request of `user` against the limits, or the 429 that refuses it (codes and messages as
    /// "Service protection API limits" lists them).
    private func admit(_ user: String) -> DataverseFault? {
        state.lock.withLock {
            let now = state.clock.now()
            let limits = state.limits
            var recent = state.recent[user, default: []]
            recent.removeAll { $0.addingTimeInterval(limits.windowSeconds) <= now }
            var executed = state.executed[user, default: []]
            executed.removeAll { $0.end.addingTimeInterval(limits.windowSeconds) <= now }
            state.recent[user] = recent
            state.executed[user] = executed
            if state.inFlight[user, default: 0] >= limits.concurrent {
                state.throttled += 1
                return DataverseFault(
                    status: 429, code: "0x80072326",
                    message: "Number of concurrent requests exceeded the limit of \(limits.concurrent).", retryAfter: 1)
            }
            if recent.count >= limits.requests {
                state.throttled += 1
                let wait = max(1, Int((limits.windowSeconds - now.timeIntervalSince(recent[0])).rounded(.up)))
                return DataverseFault(
                    status: 429, code: "0x80072322",
                    message: "Number of requests exceeded the limit of \(limits.requests) over time window of \(Int(limits.windowSeconds)) seconds.",
                    retryAfter: wait)
            }
            if executed.reduce(0, { $0 + $1.seconds }) >= limits.executionSeconds {
                state.throttled += 1
                let wait = max(1, Int((limits.windowSeconds - now.timeIntervalSince(executed[0].end)).rounded(.up)))
                return DataverseFault(
                    status: 429, code: "0x80072321",
                    message: "Combined execution time of incoming requests exceeded limit of \(Int(limits.executionSeconds * 1000)) milliseconds over time window of \(Int(limits.windowSeconds)) seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.",
                    retryAfter: wait)
            }
            state.recent[user, default: []].append(now)
            state.inFlight[user, default: 0] += 1
            return nil
        }
    }

    /// Ends a request admitted by `admit`, which ran for `seconds`.
    private func leave(_ user: String, ranFor seconds: Double) {
        state.lock.withLock {
            state.inFlight[user, default: 1] -= 1
            state.executed[user, default: []].append((state.clock.now(), seconds))
        }
    }

    /// How many tokens the token endpoint issued.
    public var tokensIssued: Int { state.lock.withLock { state.tokensIssued } }

    /// Seconds a delta token stays valid (Dataverse: 7 days by default); tests shorten it.
    public func setDeltaTokenLifetime(_ seconds: Double) {
        state.lock.withLock { state.deltaTokenLifetime = seconds }
    }

    /// Refuses the next PATCH of row `id` with a 400, as a plug-in or a validation rule might: how
    /// tests put one bad request in a `$batch`.
    public func refuseNextWrite(of id: String) {
        state.lock.withLock { _ = state.refuseNextWrite.insert(id.lowercased()) }
    }

    /// Makes another user change row `id` just before each of the next `times` PATCHes of it, so that
    /// a PATCH guarded by the ETag read before meets 412: how tests reproduce concurrent edits.
    public func changeBeforeNextWrite(of id: String, times: Int = 1) {
        state.lock.withLock { state.changeBeforeNextWrites[id.lowercased(), default: 0] += times }
    }

    /// How many requests were answered, by method (`GET`, `POST`, …), since the start.
    public var requestCounts: [String: Int] {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.requestCounts
    }

    /// The total number of requests answered since the start.
    public var requestCount: Int { requestCounts.values.reduce(0, +) }

    private func caller(for token: String?) -> String? {
        guard let token else { return nil }
        return state.lock.withLock {
            if let user = state.tokens[token] { return user }
            guard let issued = state.issued[token], issued.expiresAt > state.clock.now() else { return nil }
            return issued.userId
        }
    }

    /// The Microsoft identity platform's token endpoint, emulated: `POST <tenant>/oauth2/v2.0/token`
    /// with client credentials and the scope `<organization URL>/.default`.
    private func issueToken(_ request: FlyingFox.HTTPRequest, baseURL: String) async -> FlyingFox.HTTPResponse {
        let body = String(decoding: (try? await request.bodyData) ?? Data(), as: UTF8.self)
        var form: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if parts.count == 2 { form[parts[0]] = parts[1] }
        }
        func refuse(_ status: HTTPStatusCode, _ error: String, _ description: String) -> FlyingFox.HTTPResponse {
            let answer: JSONValue = ["error": .string(error), "error_description": .string(description)]
            return FlyingFox.HTTPResponse(
                statusCode: status, headers: [HTTPHeader("Content-Type"): "application/json"], body: Data(answer.serialized()))
        }
        guard form["grant_type"] == "client_credentials" else {
            return refuse(.badRequest, "unsupported_grant_type", "AADSTS70003: only client_credentials is supported here.")
        }
        guard form["scope"] == "\(baseURL)/.default" else {
            return refuse(.badRequest, "invalid_scope", "AADSTS70011: the scope must be \(baseURL)/.default.")
        }
        let issued: (token: String, lifetime: Double)? = state.lock.withLock {
            guard let clientId = form["client_id"], let client = state.clients[clientId], client.secret == form["client_secret"]
            else { return nil }
            let token = "emulated-" + UUID().uuidString.lowercased()
            state.issued[token] = (client.userId, state.clock.now().addingTimeInterval(state.tokenLifetime))
            state.tokensIssued += 1
            return (token, state.tokenLifetime)
        }
        guard let issued else {
            return refuse(.unauthorized, "invalid_client", "AADSTS7000215: Invalid client secret or unknown client.")
        }
        let answer: JSONValue = [
            "token_type": "Bearer", "expires_in": .number(String(Int(issued.lifetime.rounded(.up)))),
            "access_token": .string(issued.token),
        ]
        return FlyingFox.HTTPResponse(
            statusCode: .ok, headers: [HTTPHeader("Content-Type"): "application/json"], body: Data(answer.serialized()))
    }

    /// Answers one HTTP request. Links in answers start with the `Host` the client used.
    public func handle(_ request: FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse {
        let baseURL = request.baseURL(scheme: state.lock.withLock { state.scheme })
        if request.method.rawValue == "POST", request.target.path(percentEncoded: false).hasSuffix("/oauth2/v2.0/token") {
            return await issueToken(request, baseURL: baseURL)
        }
        let down: Bool = state.lock.withLock {
            state.requestCounts[request.method.rawValue, default: 0] += 1
            guard let remaining = state.outageAfter else { return false }
            if remaining == 0 { return true }
            state.outageAfter = remaining - 1
            return false
        }
        if down { return respond(fault: Self.unavailable) }
        state.lock.withLock {
            if let remaining = state.expireTokensAfter {
                if remaining <= 0 {
                    state.issued.removeAll()
                    state.expireTokensAfter = nil
                } else {
                    state.expireTokensAfter = remaining - 1
                }
            }
        }
        guard let token = caller(for: request.bearerToken) else {
            return FlyingFox.HTTPResponse(
                statusCode: .unauthorized,
                headers: [HTTPHeader("WWW-Authenticate"): "Bearer authorization_uri=\(baseURL)/oauth2/authorize"])
        }
        let body: Data
        do { body = try await request.bodyData } catch {
            return respond(fault: DataverseFault.badRequest("The request body could not be read."))
        }
        if await heldAsInterrupted(request, body: body) { return respond(fault: Self.unavailable) }
        if let limit = admit(token) { return respond(fault: limit) }
        let admitted = DispatchTime.now()
        defer { leave(token, ranFor: Double(DispatchTime.now().uptimeNanoseconds - admitted.uptimeNanoseconds) / 1e9) }
        do {
            let caller = try impersonated(request, by: token) ?? token
            let onBehalfOf = caller == token ? nil : token
            let root = baseURL + Self.apiPath
            if request.method.rawValue == "POST", request.target.path(percentEncoded: false) == Self.apiPath + "/$batch" {
                let executor = BatchExecutor(
                    run: { (inner, body) throws(DataverseFault) in
                        try self.route(inner, body: body, caller: caller, onBehalfOf: onBehalfOf, root: root)
                    }, store: store)
                return try await executor.execute(
                    body: [UInt8](body), contentType: request.header("Content-Type") ?? "",
                    continueOnError: Preferences(request.header("Prefer")).continueOnError)
            }
            return try route(
                request, body: [UInt8](body), caller: caller, onBehalfOf: caller == token ? nil : token,
                root: baseURL + Self.apiPath)
        } catch {
            logger.debug("dataverse request refused", metadata: ["status": "\(error.status)", "code": "\(error.code)"])
            return respond(fault: error)
        }
    }

    /// The user a request impersonates through `CallerObjectId` (an Entra object id) or
    /// `MSCRMCallerID` (a systemuserid), or nil. Only application users may act on behalf of others.
    private func impersonated(_ request: FlyingFox.HTTPRequest, by caller: String) throws(DataverseFault) -> String? {
        let objectId = request.header("CallerObjectId")?.lowercased()
        let userId = request.header("MSCRMCallerID")?.lowercased()
        guard objectId != nil || userId != nil else { return nil }
        guard store.row("systemuser", id: caller)?["applicationid"]?.stringValue != nil else {
            throw DataverseFault(
                status: 403, code: "0x80040220",
                message: "Principal user (Id=\(caller)) is missing prvActOnBehalfOfAnotherUser privilege.")
        }
        let target = store.rows("systemuser").first {
            if let objectId { return $0["azureactivedirectoryobjectid"]?.stringValue?.lowercased() == objectId }
            return $0["systemuserid"]?.stringValue == userId
        }
        guard let id = target?["systemuserid"]?.stringValue else {
            throw .badRequest("The user to impersonate (\(objectId ?? userId ?? "")) does not exist.")
        }
        return id
    }

    /// Runs `body` in one store transaction, recording `onBehalfOf` on the writes it makes.
    private func transaction<T>(onBehalfOf: String?, _ body: (inout EntityTables) throws(DataverseFault) -> T)
        throws(DataverseFault) -> T
    {
        try store.transaction { (tables) throws(DataverseFault) in
            tables.onBehalfOf = onBehalfOf
            defer { tables.onBehalfOf = nil }
            return try body(&tables)
        }
    }

    private func route(
        _ request: FlyingFox.HTTPRequest, body: [UInt8], caller: String, onBehalfOf: String?, root: String
    ) throws(DataverseFault) -> FlyingFox.HTTPResponse
    {
        let path = request.target.path(percentEncoded: false)
        guard path.hasPrefix(Self.apiPath + "/") else { throw .resourceNotFound(path) }
        let segment = String(path.dropFirst(Self.apiPath.count + 1))
        let method = request.method.rawValue
        if segment == "EntityDefinitions" || segment.hasPrefix("EntityDefinitions(") || segment.hasPrefix("EntityDefinitions/") {
            guard method == "GET" else { throw .methodNotAllowed(method, segment) }
            return respond(
                status: .ok, json: try MetadataService(schema: store.schema, root: root).answer(segment, query: request.decodedQuery))
        }
        if segment.isEmpty || segment == "$metadata" {
            guard method == "GET" else { throw .methodNotAllowed(method, segment) }
            let documents = ServiceDocuments(schema: store.schema, root: root)
            guard segment.isEmpty else {
                return FlyingFox.HTTPResponse(
                    statusCode: .ok, headers: [.contentType: "application/xml", HTTPHeader("OData-Version"): "4.0"],
                    body: Data(documents.metadata.utf8))
            }
            return respond(status: .ok, json: documents.serviceDocument)
        }
        if segment == "WhoAmI" || segment == "WhoAmI()" {
            guard method == "GET" else { throw .methodNotAllowed(method, segment) }
            return respond(status: .ok, json: whoAmI(caller: caller, root: root))
        }
        if let action = Action(rawValue: segment), action.boundSet == nil {
            return try run(action, method: method, segment: segment, body: body, caller: caller, onBehalfOf: onBehalfOf, root: root)
        }
        let segments = ODataText.segments(segment)
        guard segments.count <= 2, !segments.contains(where: { $0.name.isEmpty }) else { throw .resourceNotFound(segment) }
        if segments.count == 2, segments[0].key == nil, segments[1].name.hasPrefix("Microsoft.Dynamics.CRM.") {
            let setName = segments[0].name
            let name = String(segments[1].name.dropFirst("Microsoft.Dynamics.CRM.".count))
            guard let entity = store.schema.entity(forSet: setName) else { throw .resourceNotFound(setName) }
            if let action = Action(rawValue: name), action.boundSet == setName {
                return try run(action, method: method, segment: segment, body: body, caller: caller, onBehalfOf: onBehalfOf, root: root)
            }
            guard let action = BulkActions(rawValue: name) else { throw .resourceNotFound(segments[1].name) }
            guard method == "POST" else { throw .methodNotAllowed(method, segment) }
            let parameters = try Self.parseObject(body)
            let answer = try transaction(onBehalfOf: onBehalfOf) { (tables) throws(DataverseFault) in
                try action.run(on: entity, parameters: parameters, callerId: caller, root: root, in: &tables)
            }
            return answer.map { respond(status: .ok, json: $0) } ?? FlyingFox.HTTPResponse(statusCode: .noContent, headers: Self.noContentHeaders)
        }
        let setName = segments[0].name
        let navigation = segments.count == 2 ? segments[1].name : nil
        guard navigation == nil || segments[0].key != nil, segments.count < 2 || segments[1].key == nil else {
            throw .resourceNotFound(segment)
        }
        guard let entity = store.schema.entity(forSet: setName) else { throw .resourceNotFound(setName) }
        let key = try segments[0].key.map { (text) throws(DataverseFault) in try RowKey(text, of: entity) }
        let preferences = Preferences(request.header("Prefer"))
        if method == "GET", key == nil, let fetch = request.decodedQuery.first(where: { $0.name == "fetchXml" })?.value {
            return try fetchXML(entity, text: fetch, preferences: preferences, root: root)
        }
        if let navigation, let key {
            guard method == "GET" else { throw .methodNotAllowed(method, segment) }
            return try queryRelated(entity, key: key, navigation: navigation, request: request, preferences: preferences, root: root)
        }
        var options = method == "GET" ? try parseOptions(request, entity: entity) : QueryOptions()
        options.formattedValues = preferences.formattedValues
        let fields = ["POST", "PATCH"].contains(method) ? try Self.parseObject(body) : [:]
        let ifMatch = request.header("If-Match")
        return try transaction(onBehalfOf: onBehalfOf) { (tables) throws(DataverseFault) in
            let id = try key?.id(in: tables, entity: entity, creating: method == "PATCH")
            switch (method, id) {
            case ("GET", nil):
                return try queryCollection(entity, request: request, options: options, preferences: preferences, root: root, in: tables)
            case ("GET", let id?):
                let row = try tables.retrieve(
                    entity, id: id, options: options,
                    collections: ExpandedCollections(root: root, nested: options.nestsExpand, pageSize: Self.pageSize(preferences)))
                return respond(status: .ok, json: Self.adding(context: "\(root)/$metadata#\(setName)/$entity", to: row))
            case ("POST", nil):
                let newId = try SalesBehavior.create(entity, body: fields, callerId: caller, in: &tables)
                return try written(entity, id: newId, status: .created, preferences: preferences, root: root, in: tables)
            case ("PATCH", let id?):
                if state.lock.withLock({ state.refuseNextWrite.remove(id) }) != nil {
                    throw DataverseFault(status: 400, code: "0x80040265", message: "A validation rule refused this change.")
                }
                let changedFirst: Bool = state.lock.withLock {
                    guard let remaining = state.changeBeforeNextWrites[id], remaining > 0 else { return false }
                    state.changeBeforeNextWrites[id] = remaining - 1
                    return true
                }
                if changedFirst {
                    try tables.update(entity.logicalName, id: id, body: [:], ifMatch: nil, caller: EmulatorIdentities.salesUserId)
                }
                if request.header("If-None-Match") == "*", tables.row(entity.logicalName, id: id) != nil {
                    throw .duplicate(entity.logicalName, id: id)
                }
                if tables.row(entity.logicalName, id: id) == nil && ifMatch == nil {
                    var withKey = fields.merging(key?.values ?? [:]) { own, _ in own }
                    withKey[entity.primaryIdAttribute] = .string(id)
                    _ = try SalesBehavior.create(entity, body: withKey, callerId: caller, in: &tables)
                } else {
                    try SalesBehavior.update(entity, id: id, body: fields, ifMatch: ifMatch, callerId: caller, in: &tables)
                }
                return try written(entity, id: id, status: .ok, preferences: preferences, root: root, in: tables)
            case ("DELETE", let id?):
                try SalesBehavior.delete(entity, id: id, ifMatch: ifMatch, callerId: caller, in: &tables)
                return FlyingFox.HTTPResponse(statusCode: .noContent, headers: Self.noContentHeaders)
            default:
                throw .methodNotAllowed(method, segment)
            }
        }
    }

    /// The Sales actions the emulator serves, addressed as their references bind them.
    private enum Action: String {
        case calculatePrice = "CalculatePrice"
        case recalculatePrice = "RecalculatePrice"
        case convertSalesOrderToInvoice = "ConvertSalesOrderToInvoice"
        case fulfillSalesOrder = "FulfillSalesOrder"
        case cancelSalesOrder = "CancelSalesOrder"

        /// The entity set a bound action is called on (`salesorders/Microsoft.Dynamics.CRM.FulfillSalesOrder`, bound to
        /// the salesorder collection in its reference and in "Use Web API actions"); nil for an unbound action.
        var boundSet: String? {
            self == .fulfillSalesOrder ? "salesorders" : nil
        }
    }

    /// A POST of a Sales action, in one transaction.
    private func run(
        _ action: Action, method: String, segment: String, body: [UInt8], caller: String, onBehalfOf: String?, root: String
    ) throws(DataverseFault) -> FlyingFox.HTTPResponse {
        guard method == "POST" else { throw .methodNotAllowed(method, segment) }
        let parameters = try Self.parseObject(body)
        return try transaction(onBehalfOf: onBehalfOf) { (tables) throws(DataverseFault) in
            try perform(action, parameters: parameters, caller: caller, root: root, in: &tables)
        }
    }

    private func perform(
        _ action: Action, parameters: [String: JSONValue], caller: String, root: String, in tables: inout EntityTables
    ) throws(DataverseFault) -> FlyingFox.HTTPResponse {
        switch action {
        case .calculatePrice:
            let target = parameters["Target"] ?? .null
            guard let type = target["@odata.type"]?.stringValue else {
                throw .badRequest("CalculatePrice needs a Target with its @odata.type, such as Microsoft.Dynamics.CRM.salesorder.")
            }
            let logicalName = String(type.split(separator: ".").last ?? "")
            guard let id = target["\(logicalName)id"]?.stringValue else {
                throw .badRequest("The CalculatePrice Target needs its \(logicalName)id.")
            }
            try SalesBehavior.recalculate(logicalName: logicalName, id: id, callerId: caller, in: &tables)
        case .recalculatePrice:
            guard let logicalName = parameters["entityLogicalName"]?.stringValue, let id = parameters["entityId"]?.stringValue
            else { throw .badRequest("RecalculatePrice needs entityLogicalName and entityId.") }
            try SalesBehavior.recalculate(logicalName: logicalName, id: id, callerId: caller, in: &tables)
        case .convertSalesOrderToInvoice:
            guard let orderId = parameters["SalesOrderId"]?.stringValue else {
                throw .badRequest("ConvertSalesOrderToInvoice needs SalesOrderId.")
            }
            let invoiceId = try SalesBehavior.createInvoice(fromOrder: orderId, callerId: caller, in: &tables)
            let invoice = try tables.retrieve(tables.definition("invoice"), id: invoiceId, options: QueryOptions())
            return respond(status: .ok, json: Self.adding(context: "\(root)/$metadata#invoices/$entity", to: invoice))
        case .fulfillSalesOrder, .cancelSalesOrder:
            guard let orderClose = parameters["OrderClose"], let status = parameters["Status"]?.intValue else {
                throw .badRequest("\(action.rawValue) needs OrderClose and Status.")
            }
            try SalesBehavior.close(
                orderClose: orderClose, status: status, fulfill: action == .fulfillSalesOrder, callerId: caller, in: &tables)
        }
        return FlyingFox.HTTPResponse(statusCode: .noContent, headers: Self.noContentHeaders)
    }

    private func parseOptions(_ request: FlyingFox.HTTPRequest, entity: EntityDefinition) throws(DataverseFault)
        -> QueryOptions
    {
        do {
            let options = try QueryOptions.parse(request.decodedQuery)
            try options.validate(against: entity, in: store.schema)
            return options
        } catch {
            throw .badQuery(error)
        }
    }

    /// `GET <set>(<id>)/<collection>`: the related rows of one row, as a collection read of their table; what
    /// a `<property>@odata.nextLink` points at.
    private func queryRelated(
        _ entity: EntityDefinition, key: RowKey, navigation: String, request: FlyingFox.HTTPRequest, preferences: Preferences,
        root: String
    ) throws(DataverseFault) -> FlyingFox.HTTPResponse {
        guard let collection = entity.collectionNavigations[navigation], let target = store.schema.entities[collection.target]
        else { throw .resourceNotFound(navigation) }
        var options = try parseOptions(request, entity: target)
        options.formattedValues = preferences.formattedValues
        return try store.transaction { (tables) throws(DataverseFault) in
            let id = try key.id(in: tables, entity: entity, creating: false)
            guard tables.row(entity.logicalName, id: id) != nil else { throw .notFound(entity.logicalName, id: id) }
            return try queryCollection(
                target, request: request, options: options, preferences: preferences, root: root, in: tables,
                path: "\(entity.entitySetName)(\(id))/\(navigation)", parent: (collection.referencingLookup, id))
        }
    }

    /// `GET <set>?fetchXml=…`: one page of a FetchXML query, with `@Microsoft.Dynamics.CRM.morerecords` and the
    /// paging cookie when the client asks for them (`Prefer: odata.include-annotations`).
    private func fetchXML(_ entity: EntityDefinition, text: String, preferences: Preferences, root: String)
        throws(DataverseFault) -> FlyingFox.HTTPResponse
    {
        var query: FetchXMLQuery
        do {
            query = try FetchXMLQuery(text, table: entity)
            try query.options.validate(against: entity, in: store.schema)
        } catch {
            throw .badQuery(error)
        }
        query.options.formattedValues = preferences.formattedValues
        let fetched = query
        return try store.transaction { (tables) throws(DataverseFault) in
            let skipped = fetched.top == nil ? fetched.count * (fetched.page - 1) : 0
            let page = try tables.query(entity, options: fetched.options, pageSize: fetched.top ?? (skipped + fetched.count))
            let rows = Array(page.rows.dropFirst(skipped))
            let more = fetched.top == nil && page.nextSkipToken != nil
            var answer: [String: JSONValue] = [
                "@odata.context": .string("\(root)/$metadata#\(entity.entitySetName)"), "value": .array(rows),
            ]
            if preferences.pagingAnnotations {
                answer["@Microsoft.Dynamics.CRM.morerecords"] = .bool(more)
                if more {
                    let key = entity.primaryIdAttribute
                    answer["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"] = .string(
                        FetchXMLQuery.pagingCookie(
                            nextPage: fetched.page + 1, primaryKey: key, first: rows.first?[key]?.stringValue,
                            last: rows.last?[key]?.stringValue))
                }
            }
            return respond(status: .ok, json: .object(answer))
        }
    }

    /// A collection read: one page of rows, with its next link, or the changes since a delta token.
    /// - Parameters:
    ///   - path: The resource path links repeat (the entity set, or a navigation path).
    ///   - parent: The row the collection belongs to, for a navigation path.
    private func queryCollection(
        _ entity: EntityDefinition, request: FlyingFox.HTTPRequest, options: QueryOptions, preferences: Preferences,
        root: String, in tables: EntityTables, path: String? = nil, parent: (lookup: String, id: String)? = nil
    ) throws(DataverseFault) -> FlyingFox.HTTPResponse {
        let path = path ?? entity.entitySetName
        var headers = Self.odataHeaders
        let tracking = preferences.trackChanges || options.deltaToken != nil
        if tracking {
            guard options.filter == nil, options.orderBy.isEmpty, options.expand.isEmpty, options.top == nil else {
                throw .badQuery(QueryError("$filter, $orderby, $expand and $top are not supported with change tracking."))
            }
            headers[HTTPHeader("Preference-Applied")] = "odata.track-changes"
        }
        var answer: [String: JSONValue] = ["@odata.context": .string("\(root)/$metadata#\(entity.entitySetName)")]
        let kept = request.decodedQuery.filter { $0.name != "$skiptoken" && $0.name != "$deltatoken" }
        let now = self.now
        let deltaLink = { (version: Int) in
            "\(root)/\(entity.entitySetName)?" + QueryString.encode(kept + [("$deltatoken", "\(version)!\(Int(now.timeIntervalSince1970))")])
        }
        if let token = options.deltaToken {
            let lifetime = state.lock.withLock { state.deltaTokenLifetime }
            guard now.timeIntervalSince1970 - token.issued <= lifetime else {
                throw DataverseFault(
                    status: 400, code: "0x80044352", message: "The delta token has expired; read the table again without it to start anew.")
            }
            answer["value"] = .array(tables.changes(entity, since: token.version, options: options, root: root))
            answer["@odata.deltaLink"] = .string(deltaLink(tables.currentVersion))
            return FlyingFox.HTTPResponse(statusCode: .ok, headers: headers, body: Data(JSONValue.object(answer).serialized()))
        }
        let pageSize = Self.pageSize(preferences)
        let page = try tables.query(
            entity, options: options, pageSize: pageSize, parent: parent,
            collections: ExpandedCollections(root: root, nested: options.nestsExpand, pageSize: pageSize))
        answer["value"] = .array(page.rows)
        if options.count { answer["@odata.count"] = .int(page.count) }
        if let token = page.nextSkipToken {
            answer["@odata.nextLink"] = .string("\(root)/\(path)?" + QueryString.encode(kept + [("$skiptoken", token)]))
        } else if tracking {
            answer["@odata.deltaLink"] = .string(deltaLink(tables.currentVersion))
        }
        return FlyingFox.HTTPResponse(statusCode: .ok, headers: headers, body: Data(JSONValue.object(answer).serialized()))
    }

    private func written(
        _ entity: EntityDefinition, id: String, status: HTTPStatusCode, preferences: Preferences, root: String,
        in tables: EntityTables
    ) throws(DataverseFault) -> FlyingFox.HTTPResponse {
        let location = "\(root)/\(entity.entitySetName)(\(id))"
        guard preferences.returnRepresentation else {
            var headers = Self.noContentHeaders
            headers[HTTPHeader("OData-EntityId")] = location
            return FlyingFox.HTTPResponse(statusCode: .noContent, headers: headers)
        }
        let row = try tables.retrieve(entity, id: id, options: QueryOptions())
        return respond(
            status: status, json: Self.adding(context: "\(root)/$metadata#\(entity.entitySetName)/$entity", to: row))
    }

    private func whoAmI(caller: String, root: String) -> JSONValue {
        let organization = store.rows("organization").first?["organizationid"] ?? .null
        return [
            "@odata.context": .string("\(root)/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse"),
            "BusinessUnitId": .string(Self.businessUnitId), "UserId": .string(caller), "OrganizationId": organization,
        ]
    }

    private static func adding(context: String, to row: JSONValue) -> JSONValue {
        guard var members = row.objectValue else { return row }
        members["@odata.context"] = .string(context)
        return .object(members)
    }

    private static func parseObject(_ body: [UInt8]) throws(DataverseFault) -> [String: JSONValue] {
        guard let value = try? JSONParser.parse(body), let members = value.objectValue else {
            throw .badRequest("The request body is not a JSON object.")
        }
        return members
    }

    /// The rows per page a read asked for (`odata.maxpagesize`), at most Dataverse's 5000.
    private static func pageSize(_ preferences: Preferences) -> Int {
        min(preferences.maxPageSize ?? maximumPageSize, maximumPageSize)
    }

    /// The headers of a 204: no body, so no `Content-Type`, as Dataverse answers.
    static let noContentHeaders: HTTPHeaders = [HTTPHeader("OData-Version"): "4.0"]

    static let odataHeaders: HTTPHeaders = [
        HTTPHeader("OData-Version"): "4.0", HTTPHeader("Content-Type"): "application/json; odata.metadata=minimal",
    ]

    private func respond(status: HTTPStatusCode, json: JSONValue) -> FlyingFox.HTTPResponse {
        FlyingFox.HTTPResponse(statusCode: status, headers: Self.odataHeaders, body: Data(json.serialized()))
    }

    private func respond(fault: DataverseFault) -> FlyingFox.HTTPResponse {
        var response = respond(status: HTTPStatusCode(fault.status, phrase: ""), json: fault.body)
        if let seconds = fault.retryAfter { response.headers[HTTPHeader("Retry-After")] = String(seconds) }
        return response
    }
}
