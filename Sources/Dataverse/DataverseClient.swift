import Foundation
import HTTP
import JSON
import PeerText

/// A client of the Dataverse Web API (`<organization URL>/api/data/v9.2/`), speaking OData 4.0 as
/// any standard client does. Calls block: run them on Dispatch queues, never on a Swift-concurrency thread.
public final class DataverseClient: Sendable {
    /// The Web API path under the organization URL.
    public static let apiPath = "/api/data/v9.2"

    /// The organization URL, such as `https://contoso.crm.dynamics.com`.
    public let organizationURL: String
    private let apiRoot: String
    private let http: HTTPClient
    private let tokens: any AccessTokenSource
    private let impersonation: Impersonation?
    private let budget: RequestBudget
    private let maxRetryAfterSeconds: Double
    /// Whose requests these are, for the budget's turns.
    private let lane: RequestBudget.Lane

    /// Creates a client.
    /// - Parameters:
    ///   - organizationURL: The organization URL, without the API path.
    ///   - http: The HTTP client to send through.
    ///   - tokens: Where the bearer token comes from; asked for every request.
    ///   - impersonation: The user to act on behalf of, if any.
    ///   - budget: The client-side limits that keep sopd under Dataverse's service protection limits.
    ///   - maxRetryAfterSeconds: The longest `Retry-After` a call waits for before it gives up with `throttled`.
    public init(
        organizationURL: String, http: HTTPClient, tokens: any AccessTokenSource, impersonation: Impersonation? = nil,
        budget: RequestBudget = RequestBudget(), maxRetryAfterSeconds: Double = 120, lane: RequestBudget.Lane = .outbound
    ) {
        self.organizationURL = organizationURL.hasSuffix("/") ? String(organizationURL.dropLast()) : organizationURL
        self.apiRoot = self.organizationURL + Self.apiPath
        self.http = http
        self.tokens = tokens
        self.impersonation = impersonation
        self.budget = budget
        self.maxRetryAfterSeconds = maxRetryAfterSeconds
        self.lane = lane
    }

    /// The same client, its requests counted in `lane` of the shared budget.
    public func on(_ lane: RequestBudget.Lane) -> DataverseClient {
        DataverseClient(
            organizationURL: organizationURL, http: http, tokens: tokens, impersonation: impersonation, budget: budget,
            maxRetryAfterSeconds: maxRetryAfterSeconds, lane: lane)
    }

    /// Ends the budget's waits, now and later: requests not yet sent fail with `stopping`. For a stop.
    public func stopWaiting() {
        budget.close()
    }

    // MARK: Identity and settings

    /// Who the token acts as (`GET WhoAmI()`).
    public func whoAmI() throws(DataverseError) -> WhoAmIResponse {
        let answer = try send(.get, "WhoAmI()")
        guard let userId = answer["UserId"]?.stringValue, let organizationId = answer["OrganizationId"]?.stringValue
        else { throw Self.unreadable("WhoAmI() did not return UserId and OrganizationId") }
        return WhoAmIResponse(
            userId: userId, businessUnitId: answer["BusinessUnitId"]?.stringValue ?? "", organizationId: organizationId)
    }

    /// The organization's sales order processing switch.
    public func organizationSettings() throws(DataverseError) -> OrganizationSettings {
        let answer = try send(.get, "organizations?$select=organizationid,issopintegrationenabled")
        guard let row = answer["value"]?.arrayValue?.first, let id = row["organizationid"]?.stringValue else {
            throw Self.unreadable("organizations returned no row")
        }
        return OrganizationSettings(
            organizationId: id, isSOPIntegrationEnabled: row["issopintegrationenabled"]?.boolValue ?? false)
    }

    /// A system user's name and integration user mode.
    public func systemUser(_ id: String) throws(DataverseError) -> SystemUser {
        let row = try send(.get, "systemusers(\(id))?$select=fullname,isintegrationuser")
        return SystemUser(
            systemUserId: id, fullName: row["fullname"]?.stringValue ?? "",
            isIntegrationUser: row["isintegrationuser"]?.boolValue ?? false)
    }

    /// Turns sales order processing integration on or off (`PATCH organizations(<id>)`).
    public func setSOPIntegration(organizationId: String, enabled: Bool) throws(DataverseError) {
        try update("organizations", id: organizationId, changes: ["issopintegrationenabled": .bool(enabled)], ifMatch: "*")
    }

    // MARK: Reads

    /// How many rows of `entitySet` match `filter` (`$count=true`); Dataverse counts up to 5000.
    public func count(_ entitySet: String, filter: String) throws(DataverseError) -> Int {
        let query = DataverseQuery(select: [], filter: filter, top: 1)
        let answer = try send(.get, "\(entitySet)?\(query.queryString)&$count=true")
        guard let count = answer["@odata.count"]?.intValue else { throw Self.unreadable("the answer has no @odata.count") }
        return count
    }

    /// Reads the first page of a collection.
    /// - Parameters:
    ///   - entitySet: The entity set, such as `salesorders`.
    ///   - query: The query options.
    ///   - pageSize: Rows per page (`Prefer: odata.maxpagesize`); Dataverse's default and maximum is 5000.
    ///   - count: Whether to ask how many rows match in all (`$count=true`).
    ///   - trackChanges: Whether to start change tracking (`Prefer: odata.track-changes`): the last page then
    ///     carries an `@odata.deltaLink`. Dataverse allows no `$filter`, `$orderby`, `$expand` or `$top` with it.
    public func firstPage(
        _ entitySet: String, query: DataverseQuery, pageSize: Int, count: Bool = false, trackChanges: Bool = false
    ) throws(DataverseError) -> EntityPage {
        var parameters = query.queryString
        if count { parameters += parameters.isEmpty ? "$count=true" : "&$count=true" }
        let path = parameters.isEmpty ? entitySet : "\(entitySet)?\(parameters)"
        return try page(from: send(.get, path, prefer: Self.preferences(pageSize, trackChanges)))
    }

    /// Reads the page an `@odata.nextLink` points at; the link is followed unchanged.
    /// - Throws: `DataverseError.Code.invalidResponse` when the link leaves the organization's origin
    ///   (another scheme, host or port): the bearer token goes to the organization only.
    public func nextPage(_ nextLink: String, pageSize: Int, trackChanges: Bool = false) throws(DataverseError) -> EntityPage {
        try page(from: send(.get, absoluteURL: sameOrigin(nextLink, "@odata.nextLink"), prefer: Self.preferences(pageSize, trackChanges)))
    }

    /// Reads what changed since an `@odata.deltaLink` was issued: changed rows, then deleted ones as
    /// `$deletedEntity` entries; the answer carries the next delta link.
    /// - Throws: `DataverseError.Code.invalidResponse` when the link leaves the organization's origin.
    public func changes(since deltaLink: String) throws(DataverseError) -> EntityPage {
        try page(from: send(.get, absoluteURL: sameOrigin(deltaLink, "@odata.deltaLink"), prefer: ["odata.track-changes"]))
    }

    /// Whether `link` points into this organization's Web API: same scheme, host and port, under the API
    /// path, no user information, printable. The only links sopd follows with its token.
    public func isOrganizationLink(_ link: String) -> Bool {
        guard let target = URLComponents(string: link), let origin = URLComponents(string: apiRoot) else { return false }
        return target.scheme?.lowercased() == origin.scheme?.lowercased() && target.host?.lowercased() == origin.host?.lowercased()
            && Self.port(target) == Self.port(origin) && target.user == nil && target.password == nil
            && target.path.hasPrefix(origin.path) && !link.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F })
    }

    /// `link` when it points into this organization's Web API (`isOrganizationLink`); else an error naming the link.
    private func sameOrigin(_ link: String, _ name: String) throws(DataverseError) -> String {
        guard isOrganizationLink(link) else {
            throw Self.unreadable(
                "refused to follow the \(name) '\(PeerText.clean(link, limit: 120))': it does not point into \(apiRoot), and sopd sends its token nowhere else")
        }
        return link
    }

    private static func port(_ url: URLComponents) -> Int? {
        url.port ?? (url.scheme?.lowercased() == "https" ? 443 : url.scheme?.lowercased() == "http" ? 80 : nil)
    }

    private static func preferences(_ pageSize: Int, _ trackChanges: Bool) -> [String] {
        ["odata.maxpagesize=\(pageSize)"] + (trackChanges ? ["odata.track-changes"] : [])
    }

    /// Reads one row.
    public func retrieve(_ entitySet: String, id: String, select: [String]) throws(DataverseError) -> JSONValue {
        try send(.get, "\(entitySet)(\(id))?$select=\(select.joined(separator: ","))")
    }

    private func page(from answer: JSONValue) throws(DataverseError) -> EntityPage {
        guard let rows = answer["value"]?.arrayValue else { throw Self.unreadable("a collection answer has no 'value'") }
        return EntityPage(
            rows: rows, nextLink: answer["@odata.nextLink"]?.stringValue,
            deltaLink: answer["@odata.deltaLink"]?.stringValue, count: answer["@odata.count"]?.intValue)
    }

    // MARK: Writes

    /// Updates columns of one row (`PATCH`). With an ETag, Dataverse refuses the write with 412 if
    /// the row changed since it was read; `*` updates only an existing row.
    /// - Parameters:
    ///   - entitySet: The entity set.
    ///   - id: The row's primary key.
    ///   - changes: The columns to set.
    ///   - ifMatch: The row's `@odata.etag`, or `*`.
    public func update(_ entitySet: String, id: String, changes: [String: JSONValue], ifMatch: String)
        throws(DataverseError)
    {
        _ = try send(.patch, "\(entitySet)(\(id))", body: .object(changes), extraHeaders: ["If-Match": ifMatch])
    }

    /// Creates a row with the primary key given (`PATCH` with `If-None-Match: *`): a deterministic id
    /// makes the create idempotent.
    /// - Returns: false when the row exists already (Dataverse answers 412), true when it was created.
    @discardableResult
    public func createIfAbsent(_ entitySet: String, id: String, fields: [String: JSONValue]) throws(DataverseError) -> Bool {
        do {
            _ = try send(.patch, "\(entitySet)(\(id))", body: .object(fields), extraHeaders: ["If-None-Match": "*"])
            return true
        } catch where error.code == .concurrencyConflict {
            return false
        }
    }

    /// Deletes a row; `*` deletes whatever its version.
    public func delete(_ entitySet: String, id: String, ifMatch: String = "*") throws(DataverseError) {
        _ = try send(.delete, "\(entitySet)(\(id))", extraHeaders: ["If-Match": ifMatch])
    }

    /// Runs an action at its path, unbound (`CancelSalesOrder`) or bound
    /// (`salesorders/Microsoft.Dynamics.CRM.FulfillSalesOrder`), and returns its answer (null when it has none).
    @discardableResult
    public func execute(_ action: String, parameters: JSONValue) throws(DataverseError) -> JSONValue {
        try send(.post, action, body: parameters)
    }

    /// Sends `requests` in one `$batch` (at most 1000). Not atomic: every request runs and gets its own
    /// answer (`Prefer: odata.continue-on-error`), so one bad request fails only itself. Atomic: one
    /// changeset, all or nothing.
    /// - Returns: One answer per request, in order.
    public func batch(_ requests: [BatchRequest], atomic: Bool = false) throws(DataverseError) -> [BatchResponse] {
        if atomic {
            let answers = try batch(changesets: [requests])
            switch answers[0] {
            case .success(let answers): return answers
            case .failure(let error): throw error
            }
        }
        let answers = try send(requests.map { [$0] }, changesets: false)
        guard answers.count == requests.count, answers.allSatisfy({ $0.count == 1 }) else {
            throw Self.unreadable("the $batch answer has \(answers.count) parts for \(requests.count) requests")
        }
        return answers.map { $0[0] }
    }

    /// Sends `changesets` in one `$batch` (at most 1000 requests in all), each all or nothing, with
    /// `Prefer: odata.continue-on-error`, so that one changeset that fails rolls back and fails only itself.
    /// - Returns: Per changeset, in order, its answers or the error that rolled it back.
    public func batch(changesets: [[BatchRequest]]) throws(DataverseError) -> [Result<[BatchResponse], DataverseError>] {
        let parts = try send(changesets, changesets: true)
        // Answers pair with changesets by position: a part that could not be read would shift every later one.
        guard parts.count == changesets.count else {
            throw Self.unreadable("the $batch answer has \(parts.count) readable parts for \(changesets.count) changesets")
        }
        return zip(changesets, parts).enumerated().map { index, pair in
            let (changeset, answers) = pair
            if let error = answers.lazy.compactMap(\.error).first { return .failure(error) }
            guard answers.count == changeset.count else {
                return .failure(Self.unreadable("the $batch answer has \(answers.count) answers for changeset \(index + 1) of \(changeset.count) requests"))
            }
            return .success(answers)
        }
    }

    /// The most requests one `$batch` may carry ("Execute batch operations using the Web API").
    public static let maxBatchRequests = 1000

    /// One `$batch` of `groups`: each group a changeset when `changesets`, else each a lone request; more than
    /// `maxBatchRequests` in all is refused (`rejected`) unsent.
    /// - Returns: The answers of each top-level part, in order.
    private func send(_ groups: [[BatchRequest]], changesets: Bool) throws(DataverseError) -> [[BatchResponse]] {
        let requests = groups.reduce(0) { $0 + $1.count }
        guard requests <= Self.maxBatchRequests else {
            throw DataverseError(
                code: .rejected,
                message: "a $batch of \(requests) requests is more than the \(Self.maxBatchRequests) Dataverse takes; it was not sent")
        }
        let boundary = "batch_\(UUID().uuidString.lowercased())"
        var headers: HTTPHeaders = [
            "Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0",
            "Content-Type": "multipart/mixed; boundary=\(boundary)", "Prefer": "odata.continue-on-error",
        ]
        if let impersonation { headers[impersonation.header.name] = impersonation.header.value }
        let response = try exchange(
            HTTPRequest(
                method: .post, url: "\(apiRoot)/$batch", headers: headers,
                body: MultipartBatch.encode(groups, apiRoot: apiRoot, boundary: boundary, changesets: changesets)))
        guard response.isSuccess else { throw Self.error(from: response) }
        guard let answerBoundary = response.headers["Content-Type"].flatMap(MultipartBatch.boundary(of:)) else {
            throw Self.unreadable("the $batch answer is not multipart")
        }
        return MultipartBatch.decodeParts(response.body, boundary: answerBoundary)
    }

    // MARK: Transport

    private func send(
        _ method: HTTPMethod, _ relativePath: String, body: JSONValue? = nil, prefer: [String] = [],
        extraHeaders: HTTPHeaders = [:]
    ) throws(DataverseError) -> JSONValue {
        try send(
            method, absoluteURL: "\(apiRoot)/\(relativePath)", body: body, prefer: prefer, extraHeaders: extraHeaders)
    }

    private func send(
        _ method: HTTPMethod, absoluteURL: String, body: JSONValue? = nil, prefer: [String] = [],
        extraHeaders: HTTPHeaders = [:]
    ) throws(DataverseError) -> JSONValue {
        var headers: HTTPHeaders = ["Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"]
        if body != nil { headers["Content-Type"] = "application/json; charset=utf-8" }
        if !prefer.isEmpty { headers["Prefer"] = prefer.joined(separator: ",") }
        if let impersonation { headers[impersonation.header.name] = impersonation.header.value }
        for field in extraHeaders { headers[field.name] = field.value }
        let response = try exchange(HTTPRequest(method: method, url: absoluteURL, headers: headers, body: body?.serialized()))
        guard response.isSuccess else { throw Self.error(from: response) }
        if response.body.isEmpty { return .null }
        do {
            return try JSONParser.parse(response.body)
        } catch {
            throw Self.unreadable("the answer is not JSON (\(error)): \(PeerText.clean(bytes: response.body, limit: 120))")
        }
    }

    /// Sends `request` with a bearer token, within the request budget. A 401 is answered once with a
    /// fresh token; a 429 (a service protection limit) holds the whole budget as `Retry-After` asks, three
    /// times at most and never longer than `maxRetryAfterSeconds`.
    private func exchange(_ request: HTTPRequest) throws(DataverseError) -> HTTPResponse {
        var request = request
        var refreshed = false
        var throttled = 0
        while true {
            let token = try tokens.token()
            request.headers["Authorization"] = "Bearer \(token)"
            guard budget.acquire(lane) else {
                throw DataverseError(code: .stopping, message: "sopd is stopping; the request was not sent and is tried again at the next start")
            }
            let response: HTTPResponse
            do {
                response = try http.perform(request)
                budget.release()
            } catch {
                budget.release()
                throw DataverseError(transport: error)
            }
            if response.status == 401, !refreshed {
                refreshed = true
                tokens.invalidate(token)
                continue
            }
            if response.status == 429, throttled < 3 {
                let wait = RetryAfter.seconds(response.headers["Retry-After"]) ?? 1
                budget.holdOff(seconds: wait)
                guard wait <= maxRetryAfterSeconds else { return response }
                throttled += 1
                continue
            }
            return response
        }
    }

    private static func unreadable(_ message: String) -> DataverseError {
        DataverseError(code: .invalidResponse, message: message)
    }

    /// Turns an error answer into a typed error, reading Dataverse's `{"error":{"code","message"}}` body.
    /// Every text in it passes through `PeerText`: a peer may echo the request, token included.
    static func error(from response: HTTPResponse) -> DataverseError {
        let body = try? JSONParser.parse(response.body)
        let serviceCode = body?["error"]?["code"]?.stringValue.map { PeerText.clean($0, limit: 40) }
        let message =
            body?["error"]?["message"]?.stringValue.map { PeerText.clean($0) }
            ?? (response.body.isEmpty ? "HTTP \(response.status) with no body" : PeerText.clean(bytes: response.body))
        let code: DataverseError.Code =
            switch response.status {
            case 401, 403: .unauthorized
            case 404: .notFound
            case 412: .concurrencyConflict
            case 429: .throttled
            case 500...: .serverError
            default: .rejected
            }
        return DataverseError(
            code: code, status: response.status, serviceCode: serviceCode, message: message,
            retryAfter: RetryAfter.seconds(response.headers["Retry-After"]))
    }
}
