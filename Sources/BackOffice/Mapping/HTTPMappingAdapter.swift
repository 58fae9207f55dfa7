import Clocks
import Crypto
import Foundation
import HTTP
import JSON
import PeerText

/// A back office reached through a declarative mapping (`HTTPMapping`): `http-mapping` with the user's file, or
/// `business-central` with the built-in one. The ERP keeps no idempotency keys, so every create is preceded by a
/// lookup, and a create is journaled before it is sent (`OrderSubmission.beforeCreate`): an attempt after a create
/// whose outcome was never learnt (a crash, a timeout) finds the order, or gives the ERP `settleSeconds` to show it
/// before creating it again. Blocking: run it on Dispatch queues.
public final class HTTPMappingAdapter: BackOfficeAdapter {
    public let name: String
    /// The mapping.
    public let mapping: HTTPMapping
    public let initialCursor = ""
    /// An ERP keeps no idempotency keys of sopd's.
    public let keepsIdempotencyKeys = false
    /// An ERP's lists hold every order, sopd's or not.
    public let listsOtherOrders = true
    private let requests: MappedRequest
    private let clock: any WallClock

    /// Creates an adapter.
    /// - Parameters:
    ///   - name: `http-mapping` or `business-central`.
    ///   - baseURL: What a URL starting with `/` follows (`backoffice.url`).
    ///   - authorizer: Where the `Authorization` header comes from.
    ///   - clock: The time a create's settling is measured on.
    public init(
        name: String = "http-mapping", mapping: HTTPMapping, baseURL: String, authorizer: any BackOfficeAuthorizer, http: HTTPClient,
        clock: any WallClock = SystemClock()
    ) {
        self.name = name
        self.mapping = mapping
        requests = MappedRequest(baseURL: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL, authorizer: authorizer, http: http)
        self.clock = clock
    }

    // MARK: Outbound

    /// The context an order's templates render with: the document's members, and `idempotencyKey`.
    static func context(of submission: OrderSubmission) throws(BackOfficeError) -> JSONValue {
        guard case .object(var members) = try? JSONParser.parse(submission.document) else {
            throw BackOfficeError(code: .refused, message: "order \(submission.orderNumber)'s journaled document is not a JSON object")
        }
        members["idempotencyKey"] = .string(submission.idempotencyKey)
        return .object(members)
    }

    public func preview(_ submission: OrderSubmission) throws(BackOfficeError) -> [(purpose: String, request: HTTPRequest)] {
        let context = try Self.context(of: submission)
        return [
            ("lookup, before every create", try requests.build(mapping.outbound.lookup.request, context)),
            ("create, when the lookup finds no order", try requests.build(mapping.outbound.create.request, context)),
        ]
    }

    public func submitOrder(_ submission: OrderSubmission) throws(BackOfficeError) -> OrderReceipt {
        let context = try Self.context(of: submission)
        let started = DispatchTime.now()
        if let found = try lookup(context, submission) {
            return OrderReceipt(orderId: found.id, status: found.status, replayed: true, duration: Self.seconds(since: started))
        }
        if let sent = submission.createSentAt {
            // The create may have been under way for as long as a request may take, then committed: the ERP's time to
            // show it starts when that request would have ended.
            let due = sent.addingTimeInterval(requests.http.configuration.totalTimeout + mapping.outbound.settleSeconds)
            let now = clock.now()
            if now < due {
                throw BackOfficeError(
                    code: .settling,
                    message: "a create of order \(submission.orderNumber) went out at \(sent.formatted(.iso8601)) without an answer, and the lookup does not show it yet; sopd looks again before creating it anew at \(due.formatted(.iso8601)) (backoffice.timeoutSeconds and outbound.settleSeconds after it)",
                    retryAfter: due.timeIntervalSince(now))
            }
        }
        let create = try requests.build(mapping.outbound.create.request, context)
        try submission.beforeCreate()
        let response = try requests.send(create)
        switch mapping.outbound.answers.meaning(of: response.status) {
        case .accepted:
            guard let id = PeerText.identifier(mapping.outbound.create.id.text(in: (try? JSONParser.parse(response.body)) ?? .null)) else {
                throw BackOfficeError(
                    code: .invalidResponse, status: response.status,
                    message: "the create's answer has no order id at \(mapping.outbound.create.id) (or it is not a printable identifier); the next attempt looks the order up")
            }
            return OrderReceipt(orderId: id, status: response.status, replayed: false, duration: Self.seconds(since: started))
        case .refused:
            let reason = MappedRequest.excerpt(response.body, reason: mapping.outbound.reason)
            throw BackOfficeError(code: .rejected, status: response.status, message: "the ERP refused the order", reasons: [reason])
        case .retryable:
            throw failure(response, "the create of order \(submission.orderNumber) failed")
        }
    }

    /// The error a failed answer is, as `outbound.answers` classes its status: refused for good, or tried again
    /// (throttled for a 429, after its `Retry-After`).
    /// - Parameter what: What failed, such as "the poll orders failed".
    private func failure(_ response: HTTPResponse, _ what: String) -> BackOfficeError {
        let refused = mapping.outbound.answers.meaning(of: response.status) == .refused
        return BackOfficeError(
            code: refused ? .refused : response.status == 429 ? .throttled : .serverError, status: response.status,
            message: "\(what): \(MappedRequest.excerpt(response.body, reason: mapping.outbound.reason))",
            retryAfter: RetryAfter.seconds(response.headers["Retry-After"]))
    }

    /// The order the ERP holds already for this version of the document, or nil. The orders earlier versions became,
    /// which the ERP gave back (rejected, deleted), are not this version's.
    /// - Throws: `BackOfficeError`; `ambiguous` when the lookup finds more than one; `invalidResponse` when its answer
    ///   has no list of matches, or a match without an id: an unreadable lookup never counts as "none".
    private func lookup(_ context: JSONValue, _ submission: OrderSubmission) throws(BackOfficeError) -> (id: String, status: Int)? {
        let lookup = mapping.outbound.lookup
        let response = try requests.send(try requests.build(lookup.request, context))
        if lookup.none.contains(where: { $0.contains(response.status) }) { return nil }
        guard response.isSuccess else { throw failure(response, "the lookup of order \(submission.orderNumber) failed") }
        let matches: [JSONValue]
        switch (try? JSONParser.parse(response.body)).flatMap(lookup.matches.resolve) {
        case .array(let items): matches = items
        case .object(let item): matches = [.object(item)]
        default:
            throw BackOfficeError(
                code: .invalidResponse, status: response.status,
                message: "the lookup's answer has no list of matches at \(lookup.matches); sopd creates nothing it cannot look up")
        }
        var ids: [String] = []
        for match in matches {
            guard let id = PeerText.identifier(lookup.id.text(in: match)) else {
                throw BackOfficeError(
                    code: .invalidResponse, status: response.status,
                    message: "a match of the lookup has no id at \(lookup.id) (a printable identifier): \(PeerText.clean(match.jsonText, limit: 80))")
            }
            if !submission.returnedRemoteIds.contains(id) { ids.append(id) }
        }
        guard ids.count <= 1 else {
            throw BackOfficeError(
                code: .ambiguous, status: response.status,
                message: "the ERP holds \(ids.count) orders that match order \(submission.orderNumber) (\(ids.prefix(5).joined(separator: ", "))); sopd creates none. Remove the extra ones in the ERP, then run sopd journal retry")
        }
        return ids.first.map { ($0, response.status) }
    }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    // MARK: Inbound

    /// Reads each polled list once after its position, oldest record first, and makes the events its rules say.
    public func changes(after cursor: String, limit: Int) throws(BackOfficeError) -> ChangePage {
        var positions = try PollPositions(cursor: cursor)
        var events: [ChangeEvent] = []
        // An event two records imply (an order's status and its shipment) is made once per read.
        var made: Set<String> = []
        for poll in mapping.inbound.polls {
            let position = positions.lists[poll.name] ?? PollPositions.Position(at: start(of: poll), seen: [])
            let context: JSONValue = ["cursor": .string(position.at), "limit": .int(limit)]
            let response = try requests.send(try requests.build(poll.request, context))
            guard response.isSuccess else { throw failure(response, "the poll \(poll.name) failed") }
            guard let answer = try? JSONParser.parse(response.body), let records = poll.items.resolve(in: answer)?.arrayValue else {
                throw BackOfficeError(
                    code: .invalidResponse, status: response.status, message: "the poll \(poll.name)'s answer has no list of records at \(poll.items)")
            }
            var next = position
            for (index, record) in records.enumerated() {
                guard let at = poll.cursor.text(in: record) else {
                    throw BackOfficeError(
                        code: .invalidResponse, message: "record \(index) of the poll \(poll.name) has no cursor value at \(poll.cursor)")
                }
                let key = recordKey(record, poll.records)
                if PollPositions.precedes(at, position.at) || (at == position.at && position.seen.contains(key)) { continue }
                for event in try self.events(of: record, poll.records, at: at, source: poll.name, sequence: &positions.sequence)
                where made.insert(event.id).inserted {
                    events.append(event)
                }
                if PollPositions.precedes(next.at, at) {
                    next = PollPositions.Position(at: at, seen: [key])
                } else if at == next.at {
                    next.seen.insert(key)
                }
            }
            if !records.isEmpty, records.count >= limit, next == position {
                throw BackOfficeError(
                    code: .invalidResponse,
                    message: "the poll \(poll.name) answered a full page of \(records.count) records, all changed at \(position.at) and read already; it cannot move past that time: raise backoffice.changesPageSize above the records the ERP changes at one time")
            }
            positions.lists[poll.name] = next
        }
        return ChangePage(events: events, next: positions.cursor)
    }

    /// Where a list is first read from: its `start`, or for `now`, a day before the first read (a margin for the
    /// clocks of sopd and the ERP), so that an ERP's history before sopd is not read through.
    private func start(of poll: HTTPMapping.Poll) -> String {
        guard poll.start == "now" else { return poll.start }
        return clock.now().addingTimeInterval(-86_400).formatted(.iso8601)
    }

    /// A record's key among the records of its list: its id, else its order's, else a digest of its text.
    private func recordKey(_ record: JSONValue, _ rules: HTTPMapping.RecordMapping) -> String {
        (rules.recordId ?? rules.orderId).text(in: record)
            ?? SHA256.hash(data: record.serialized()).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// The events `record` makes: one per rule it matches, each with an id made of its kind and a digest of its order
    /// and data, so that the same event made again (the record read again, or another list's record implying it) is
    /// the same event, journaled once, and a change of the data makes a new one. A `linesChanged` event can come back
    /// to data it had before, so its digest takes `at` too (the record's cursor value, or the notification's id).
    /// Their text leaves the sequence out. A record whose order id is missing or unusable (an invoice made without an
    /// order, say) is no concern of sopd's: it makes none, and so does an order number that is no identifier.
    public func events(
        of record: JSONValue, _ rules: HTTPMapping.RecordMapping, at: String, source: String, sequence: inout Int
    ) throws(BackOfficeError) -> [ChangeEvent] {
        guard let orderId = PeerText.identifier(rules.orderId.text(in: record)) else { return [] }
        let orderNumber = PeerText.identifier(rules.orderNumber?.text(in: record))
        var events: [ChangeEvent] = []
        for rule in rules.events where rule.matches(record) {
            let text = rule.data?.render(record) ?? "{}"
            guard let data = try? JSONParser.parse(text), data.objectValue != nil else {
                throw BackOfficeError(
                    code: .invalidResponse,
                    message: "the data of a \(rule.kind.rawValue) event of \(source) rendered from \(rule.data.map { "\($0.location)" } ?? "?") is not a JSON object: \(PeerText.clean(text, limit: 120))")
            }
            let identity = rule.kind == .linesChanged ? "\(orderId)\n\(at)\n\(text)" : "\(orderId)\n\(text)"
            let digest = SHA256.hash(data: Array(identity.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
            sequence += 1
            var members: [String: JSONValue] = [
                "id": .string("\(rule.kind.rawValue):\(digest)"), "type": .string(rule.kind.rawValue), "orderId": .string(orderId), "data": data,
            ]
            if let orderNumber { members["orderNumber"] = .string(orderNumber) }
            if let event = ChangeEvent(.object(members), sequence: sequence) { events.append(event) }
        }
        return events
    }
}
