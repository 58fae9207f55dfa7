import Foundation
import HTTP
import JSON
import PeerText

extension HTTPMapping {
    /// Reads and checks the mapping file at `path`.
    /// - Throws: `MappingError` at the line of the first mistake: not YAML, an unknown or missing key, a template that
    ///   does not parse or whose JSON body would not be JSON, a pointer that is not one, an unknown event kind.
    public static func load(path: String) throws(MappingError) -> HTTPMapping {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw MappingError(
                at: MappingLocation(file: path, line: 1, column: 1, keyPath: "(file)"),
                "cannot read the mapping file (\(error.localizedDescription)); check backoffice.mapping and the file's permissions")
        }
        return try parse(text, file: path)
    }

    /// Reads and checks a mapping written in `text`; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(MappingError) -> HTTPMapping {
        let root = try MappingReader(text: text, file: file)
        try root.allowOnly(["name", "outbound", "inbound"])
        // Mistakes are reported in the order they are written.
        let name = try root.optional("name")?.text() ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let outbound = try Self.outbound(try root.required("outbound", hint: "say how an order is looked up and created (docs/adapters.md)"))
        let inbound = try Self.inbound(try root.required("inbound", hint: "say how the ERP's changes are read: polls:, webhook:, or both"))
        return HTTPMapping(name: name, outbound: outbound, inbound: inbound)
    }

    private static func outbound(_ reader: MappingReader) throws(MappingError) -> Outbound {
        try reader.allowOnly(["lookup", "create", "answers", "reason", "settleSeconds"])
        let lookup = try reader.required(
            "lookup", hint: "the ERP keeps no idempotency keys, so sopd looks an order up (by its Dynamics number, say) before it creates it")
        try lookup.allowOnly(requestKeys + ["matches", "id", "none"])
        let create = try reader.required("create", hint: "the request that creates the order in the ERP")
        try create.allowOnly(requestKeys + ["id"])
        var answers = StatusClasses()
        if let classes = reader.optional("answers") {
            try classes.allowOnly(["accepted", "refused", "retryable"])
            if let list = classes.optional("accepted") { answers.accepted = try StatusClasses.ranges(list) }
            if let list = classes.optional("refused") { answers.refused = try StatusClasses.ranges(list) }
            if let list = classes.optional("retryable") { answers.retryable = try StatusClasses.ranges(list) }
        }
        return Outbound(
            lookup: Lookup(
                request: try request(lookup, defaultMethod: .get),
                matches: try lookup.required("matches", hint: "the JSON Pointer of the list of orders the lookup found, such as /items").pointer(),
                id: try lookup.required("id", hint: "the JSON Pointer of an order's id within a match, such as /id").pointer(),
                none: try lookup.optional("none").map(StatusClasses.ranges) ?? []),
            create: Create(
                request: try request(create, defaultMethod: .post),
                id: try create.required("id", hint: "the JSON Pointer of the new order's id in the create's answer, such as /id").pointer()),
            answers: answers, reason: try reader.optional("reason")?.pointer(),
            settleSeconds: try reader.optional("settleSeconds")?.number(in: 0...86_400) ?? 120)
    }

    private static func inbound(_ reader: MappingReader) throws(MappingError) -> Inbound {
        try reader.allowOnly(["polls", "webhook"])
        var polls: [Poll] = []
        for item in try reader.optional("polls")?.items() ?? [] {
            try item.allowOnly(requestKeys + ["name", "items", "cursor", "start"] + recordKeys)
            let name = try item.required("name", hint: "a short name for the list, such as orders; it is part of its events' ids").text()
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }), !polls.contains(where: { $0.name == name }) else {
                throw item.error("the poll name '\(name)' must be unique, of letters, digits, - and _")
            }
            polls.append(
                Poll(
                    name: name, request: try request(item, defaultMethod: .get),
                    items: try item.required("items", hint: "the JSON Pointer of the list of records in the answer, such as /items").pointer(),
                    cursor: try item.required("cursor", hint: "the JSON Pointer of a record's modification time or sequence, such as /updatedAt").pointer(),
                    start: try item.optional("start")?.text() ?? "1970-01-01T00:00:00Z", records: try records(item)))
        }
        let webhook = try reader.optional("webhook").map { (hook: MappingReader) throws(MappingError) -> Webhook in
            try hook.allowOnly(["path", "signatureHeader", "timestampHeader", "toleranceSeconds", "eventId", "record"] + recordKeys)
            let path = try hook.required("path", hint: "the path sopd answers the ERP's notifications on, such as /webhooks/erp").text()
            guard path.hasPrefix("/"), !path.contains("?"), !path.contains(" ") else {
                throw hook.error("the webhook path '\(path)' must start with / and hold no query or space")
            }
            return Webhook(
                path: path, signatureHeader: try hook.optional("signatureHeader")?.text() ?? "X-Signature",
                timestampHeader: try hook.optional("timestampHeader")?.text() ?? "X-Timestamp",
                toleranceSeconds: try hook.optional("toleranceSeconds")?.number(in: 1...3600) ?? 300,
                eventId: try hook.required("eventId", hint: "the JSON Pointer of the notification's unique id, such as /id").pointer(),
                record: try hook.optional("record")?.pointer() ?? JSONPointer("")!, records: try records(hook))
        }
        guard !polls.isEmpty || webhook != nil else {
            throw reader.error("inbound has neither polls: nor webhook:; sopd would never learn what became of an order")
        }
        return Inbound(polls: polls, webhook: webhook)
    }

    private static let requestKeys = ["method", "url", "headers", "body"]
    private static let recordKeys = ["orderId", "orderNumber", "recordId", "events"]

    private static func request(_ reader: MappingReader, defaultMethod: HTTPMethod) throws(MappingError) -> Request {
        var method = defaultMethod
        if let member = reader.optional("method") {
            let text = try member.text().uppercased()
            guard let chosen = HTTPMethod(rawValue: text) else {
                throw member.error("'\(text)' is not a method sopd sends: GET, POST, PUT, PATCH or DELETE")
            }
            method = chosen
        }
        var headers: [(name: String, value: MappingTemplate)] = []
        for (name, value) in try reader.optional("headers")?.members() ?? [] {
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw value.error("'\(name)' is not a header name")
            }
            guard name.lowercased() != "authorization" else {
                throw value.error(
                    "the Authorization header comes from backoffice.auth and its credential; it is never written in a mapping (an API key header: backoffice.auth: apikey)")
            }
            headers.append((name, try value.template(.text)))
        }
        let body = try reader.optional("body")?.template(.json)
        try body?.checkRendersJSON()
        return Request(
            method: method, url: try reader.required("url", hint: "the request's URL; one starting with / follows backoffice.url").template(.url),
            headers: headers, body: body)
    }

    private static func records(_ reader: MappingReader) throws(MappingError) -> RecordMapping {
        let rules = try reader.required(
            "events", hint: "the rules that turn a record into events, such as - {when: {/status: shipped}, kind: shipped}")
        var events: [EventRule] = []
        for rule in try rules.items() {
            try rule.allowOnly(["when", "kind", "data"])
            let kindText = try rule.required("kind", hint: "the event's kind").text()
            guard let kind = ChangeEventKind(rawValue: kindText) else {
                let known = ChangeEventKind.allCases.map(\.rawValue)
                throw rule.error(
                    "'\(kindText)' is not an event kind\(Spelling.nearest(kindText, among: known).map { " (did you mean \($0)?)" } ?? ""); the kinds are \(known.joined(separator: ", "))")
            }
            var conditions: [(pointer: JSONPointer, values: [String])] = []
            for (pointer, value) in try rule.optional("when")?.members() ?? [] {
                guard let parsed = JSONPointer(pointer) else { throw value.error("'\(pointer)' is not a JSON Pointer, such as /status") }
                var values: [String] = []
                if value.node.sequence != nil {
                    for item in try value.items() { values.append(try item.text()) }
                } else {
                    values.append(try value.text())
                }
                conditions.append((parsed, values))
            }
            let data = try rule.optional("data")?.template(.json)
            try data?.checkRendersJSON()
            events.append(EventRule(when: conditions, kind: kind, data: data))
        }
        guard !events.isEmpty else { throw rules.error("events: lists no rule; a record would never become an event") }
        return RecordMapping(
            orderId: try reader.required("orderId", hint: "the JSON Pointer of the ERP's order id in a record, such as /orderId").pointer(),
            orderNumber: try reader.optional("orderNumber")?.pointer(), recordId: try reader.optional("recordId")?.pointer(),
            events: events)
    }
}
