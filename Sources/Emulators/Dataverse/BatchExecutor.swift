import FlyingFox
import Foundation
import JSON

/// `POST $batch`: reads a `multipart/mixed` body, runs each request (a changeset all or nothing), and
/// writes the answers as `multipart/mixed`. Without `Prefer: odata.continue-on-error` the batch stops
/// at its first failure, as Dataverse's does ("Execute batch operations using the Web API",
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api).
///
/// Parts are read as leniently as Dataverse reads them: a request line may carry an absolute URL with
/// unencoded spaces in its query, a part without a body may end without a blank line, and a changeset
/// request may name an earlier one's row by its `Content-ID` (`PATCH $1`, `"x@odata.bind": "$1"`).
struct BatchExecutor {
    /// Runs one inner request and returns its answer.
    let run: (FlyingFox.HTTPRequest, [UInt8]) throws(DataverseFault) -> FlyingFox.HTTPResponse
    let store: EntityStore

    /// One request of a part, with the `Content-ID` its MIME headers give it.
    private struct Inner {
        var method: String
        var target: String
        var headers: HTTPHeaders
        var body: [UInt8]
        var contentID: String?
    }

    private struct Part {
        var requests: [Inner]
        var isChangeset: Bool
    }

    func execute(body: [UInt8], contentType: String, continueOnError: Bool) async throws(DataverseFault) -> FlyingFox.HTTPResponse {
        guard let boundary = Self.boundary(of: contentType) else {
            throw .badRequest("A $batch body must be multipart/mixed with a boundary.")
        }
        let parts = try Self.parts(String(decoding: body, as: UTF8.self), boundary: boundary).map { (part) throws(DataverseFault) in
            try Self.parse(part)
        }
        guard parts.reduce(0, { $0 + $1.requests.count }) <= 1000 else {
            throw .badRequest("A $batch takes at most 1000 requests.")
        }
        let answerBoundary = "batchresponse_\(UUID().uuidString.lowercased())"
        var text = ""
        partLoop: for part in parts {
            if part.isChangeset {
                await store.changesets.enter()
                store.beginChangeset()
                var answers: [String] = []
                var failed: String?
                var created: [String: String] = [:]
                for (index, inner) in part.requests.enumerated() {
                    let contentID = inner.contentID ?? String(index + 1)
                    let answer = await Self.answer(perform(Self.resolving(inner, created)))
                    if answer.failed {
                        failed = answer.text(contentID: contentID)
                        break
                    }
                    if let location = answer.headers.first(where: { $0.0.lowercased() == "odata-entityid" })?.1 {
                        created[contentID] = location
                    }
                    answers.append(answer.text(contentID: contentID))
                }
                store.endChangeset(rollingBack: failed != nil)
                await store.changesets.leave()
                if let failed {
                    text += "--\(answerBoundary)\r\n" + failed
                    if !continueOnError { break partLoop }
                    continue
                }
                let changeset = "changesetresponse_\(UUID().uuidString.lowercased())"
                text += "--\(answerBoundary)\r\nContent-Type: multipart/mixed; boundary=\(changeset)\r\n\r\n"
                for answer in answers { text += "--\(changeset)\r\n" + answer }
                text += "--\(changeset)--\r\n"
            } else if let inner = part.requests.first {
                let answer = await Self.answer(perform(Self.resolving(inner, [:])))
                text += "--\(answerBoundary)\r\n" + answer.text(contentID: nil)
                if answer.failed && !continueOnError { break }
            }
        }
        text += "--\(answerBoundary)--\r\n"
        return FlyingFox.HTTPResponse(
            statusCode: .ok,
            headers: [
                HTTPHeader("Content-Type"): "multipart/mixed; boundary=\(answerBoundary)", HTTPHeader("OData-Version"): "4.0",
            ], body: Data(text.utf8))
    }

    private struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: Data
        var failed: Bool { !(200..<300).contains(status) }

        /// The reason phrases Dataverse writes in a part's status line.
        static let reasons = [
            200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 412: "Precondition Failed", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable",
        ]

        func text(contentID: String?) -> String {
            var text = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            if let contentID { text += "Content-ID: \(contentID)\r\n" }
            text += "\r\nHTTP/1.1 \(status) \(Self.reasons[status] ?? (status < 300 ? "OK" : "Error"))\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            text += "\r\n" + String(decoding: body, as: UTF8.self) + "\r\n"
            return text
        }
    }

    private func perform(_ inner: Inner) -> Result<FlyingFox.HTTPResponse, DataverseFault> {
        var target = inner.target
        if let scheme = target.range(of: "://"), let slash = target[scheme.upperBound...].firstIndex(of: "/") {
            target = String(target[slash...])
        }
        let (path, query) = target.firstIndex(of: "?").map { (String(target[..<$0]), String(target[target.index(after: $0)...])) }
            ?? (target, "")
        let request = FlyingFox.HTTPRequest(
            method: FlyingFox.HTTPMethod(inner.method), version: .http11,
            target: .init(path: path, query: Self.encodingSpaces(query)), headers: inner.headers,
            body: HTTPBodySequence(data: Data(inner.body)))
        do {
            return .success(try run(request, inner.body))
        } catch {
            return .failure(error)
        }
    }

    /// A query as a client may write it in a part (`$filter=name eq 'A B'`), with spaces and the other bytes
    /// a URL cannot hold percent-encoded; what is already encoded stays as it is.
    private static func encodingSpaces(_ query: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.insert("%")
        return query.addingPercentEncoding(withAllowedCharacters: allowed) ?? query
    }

    /// `inner` with `$<Content-ID>` references to rows created earlier in its changeset replaced by their
    /// URLs: as the whole target (`PATCH $1`), at its start (`$1/order_details`), or as an `@odata.bind` value.
    private static func resolving(_ inner: Inner, _ created: [String: String]) -> Inner {
        guard !created.isEmpty else { return inner }
        var resolved = inner
        if inner.target.hasPrefix("$") {
            let reference = inner.target.prefix { $0 != "/" && $0 != "?" }
            if let location = created[String(reference.dropFirst())] {
                resolved.target = location + inner.target.dropFirst(reference.count)
            }
        }
        if var members = (try? JSONParser.parse(inner.body))?.objectValue {
            for (name, value) in members where name.hasSuffix("@odata.bind") {
                guard let text = value.stringValue, text.hasPrefix("$"), let location = created[String(text.dropFirst())],
                    let path = URLComponents(string: location)?.path,
                    let api = path.range(of: DataverseEmulator.apiPath + "/")
                else { continue }
                members[name] = .string("/" + path[api.upperBound...])
            }
            resolved.body = Array(JSONValue.object(members).serialized())
        }
        return resolved
    }

    private static func answer(_ outcome: Result<FlyingFox.HTTPResponse, DataverseFault>) async -> Answer {
        switch outcome {
        case .failure(let fault):
            return Answer(
                status: fault.status, headers: [("Content-Type", "application/json; odata.metadata=minimal")],
                body: Data(fault.body.serialized()))
        case .success(let response):
            let body = (try? await response.bodyData) ?? Data()
            let headers = response.headers.map { ($0.key.rawValue, $0.value) }
            return Answer(status: response.statusCode.code, headers: headers, body: body)
        }
    }

    static func boundary(of contentType: String) -> String? {
        contentType.split(separator: ";").lazy.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.lowercased().hasPrefix("boundary=") }
            .map { String($0.dropFirst("boundary=".count)).trimmingCharacters(in: ["\""]) }
    }

    private static func parts(_ text: String, boundary: String) throws(DataverseFault) -> [String] {
        let pieces = text.components(separatedBy: "--\(boundary)")
        guard pieces.count >= 2 else { throw .badRequest("The $batch body has no part delimited by --\(boundary).") }
        return pieces.dropFirst().compactMap { piece in
            if piece.hasPrefix("--") { return nil }
            // "\r\n" is one Character in Swift: drop the line break that ends the delimiter line.
            return piece.first?.isNewline == true ? String(piece.dropFirst()) : piece
        }
    }

    private static func split(_ part: String) -> ([String: String], String) {
        let normalized = part.replacingOccurrences(of: "\r\n", with: "\n")
        guard let end = normalized.range(of: "\n\n") else { return ([:], normalized) }
        var headers: [String: String] = [:]
        for line in normalized[..<end.lowerBound].split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon]).trimmingCharacters(in: .whitespaces).lowercased()] =
                String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return (headers, String(normalized[end.upperBound...]))
    }

    private static func parse(_ part: String) throws(DataverseFault) -> Part {
        let (headers, content) = split(part)
        if let type = headers["content-type"], type.lowercased().hasPrefix("multipart/mixed"), let inner = boundary(of: type) {
            let requests = try parts(content, boundary: inner).map { (piece) throws(DataverseFault) in
                let (mime, message) = split(piece)
                return try request(message, contentID: mime["content-id"])
            }
            return Part(requests: requests, isChangeset: true)
        }
        return Part(requests: [try request(content, contentID: headers["content-id"])], isChangeset: false)
    }

    /// An `application/http` request: `METHOD URL HTTP/1.1`, headers, and a body after a blank line. The URL
    /// runs to the last ` HTTP/`, so it may hold spaces; a request without a body may end after its headers.
    private static func request(_ content: String, contentID: String?) throws(DataverseFault) -> Inner {
        let lines = content.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        let line = lines.first.map(String.init) ?? ""
        guard let space = line.firstIndex(of: " "), let version = line.range(of: " HTTP/", options: .backwards),
            space < version.lowerBound
        else {
            throw .badRequest("A $batch part does not start with a request line such as 'PATCH salesorders(<id>) HTTP/1.1'.")
        }
        var headers = HTTPHeaders()
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            if let colon = lines[index].firstIndex(of: ":"), !lines[index][..<colon].contains(" ") {
                headers[HTTPHeader(String(lines[index][..<colon]))] =
                    String(lines[index][lines[index].index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            }
            index += 1
        }
        let body = lines.dropFirst(index + 1).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return Inner(
            method: String(line[..<space]), target: String(line[line.index(after: space)..<version.lowerBound]),
            headers: headers, body: Array(body.utf8), contentID: contentID)
    }
}
