import FlyingFox
import Foundation
import JSON

/// `POST $batch`: reads a `multipart/mixed` body, runs each request (a changeset all or nothing), and
/// writes the answers as `multipart/mixed`. Without `Prefer: odata.continue-on-error` the batch stops
/// at its first failure, as Dataverse's does.
struct BatchExecutor {
    /// Runs one inner request and returns its answer.
    let run: (FlyingFox.HTTPRequest, [UInt8]) throws(DataverseFault) -> FlyingFox.HTTPResponse
    let store: EntityStore

    private struct Part {
        var requests: [(request: FlyingFox.HTTPRequest, body: [UInt8])]
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
                let snapshot = store.snapshot()
                var answers: [String] = []
                var failed: String?
                for (index, inner) in part.requests.enumerated() {
                    let answer = await Self.answer(perform(inner))
                    if answer.failed {
                        failed = answer.text(contentID: index + 1)
                        break
                    }
                    answers.append(answer.text(contentID: index + 1))
                }
                if let failed {
                    store.restore(snapshot)
                    text += "--\(answerBoundary)\r\n" + failed
                    if !continueOnError { break partLoop }
                    continue
                }
                let changeset = "changesetresponse_\(UUID().uuidString.lowercased())"
                text += "--\(answerBoundary)\r\nContent-Type: multipart/mixed; boundary=\(changeset)\r\n\r\n"
                for answer in answers { text += "--\(changeset)\r\n" + answer }
                text += "--\(changeset)--\r\n"
            } else if let inner = part.requests.first {
                let answer = await Self.answer(perform(inner))
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

        func text(contentID: Int?) -> String {
            var text = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            if let contentID { text += "Content-ID: \(contentID)\r\n" }
            text += "\r\nHTTP/1.1 \(status) \(status < 300 ? "OK" : "Error")\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            text += "\r\n" + String(decoding: body, as: UTF8.self) + "\r\n"
            return text
        }
    }

    private func perform(_ inner: (request: FlyingFox.HTTPRequest, body: [UInt8])) -> Result<FlyingFox.HTTPResponse, DataverseFault> {
        do {
            return .success(try run(inner.request, inner.body))
        } catch {
            return .failure(error)
        }
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
                try request(split(piece).1)
            }
            return Part(requests: requests, isChangeset: true)
        }
        return Part(requests: [try request(content)], isChangeset: false)
    }

    /// An `application/http` request: `METHOD URL HTTP/1.1`, headers, body.
    private static func request(_ content: String) throws(DataverseFault) -> (request: FlyingFox.HTTPRequest, body: [UInt8]) {
        let (headers, body) = split(content)
        let lines = content.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        let words = lines.first?.split(separator: " ") ?? []
        guard words.count >= 2, let method = Optional(FlyingFox.HTTPMethod(String(words[0]))) else {
            throw .badRequest("A $batch part does not start with a request line such as 'PATCH salesorders(<id>) HTTP/1.1'.")
        }
        var target = String(words[1])
        if let scheme = target.range(of: "://"), let slash = target[scheme.upperBound...].firstIndex(of: "/") {
            target = String(target[slash...])
        }
        let (path, query) = target.firstIndex(of: "?").map { (String(target[..<$0]), String(target[target.index(after: $0)...])) }
            ?? (target, "")
        var httpHeaders = HTTPHeaders()
        for (name, value) in headers where !name.contains(" ") { httpHeaders[HTTPHeader(name)] = value }
        let bytes = Array(body.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        let request = FlyingFox.HTTPRequest(
            method: method, version: .http11, target: .init(path: path, query: query), headers: httpHeaders,
            body: HTTPBodySequence(data: Data(bytes)))
        return (request, bytes)
    }
}
