import HTTP
import JSON

/// The `multipart/mixed` wire format of OData `$batch`: requests out, answers back. Pure.
enum MultipartBatch {
    /// The body of a batch of `groups`: with `changesets` each group is one changeset (all or nothing),
    /// without each is one request on its own.
    static func encode(_ groups: [[BatchRequest]], apiRoot: String, boundary: String, changesets: Bool) -> [UInt8] {
        var text = ""
        for (number, group) in groups.enumerated() {
            let changeset = "changeset_\(number + 1)_" + boundary.dropFirst("batch_".count)
            if changesets { text += "--\(boundary)\r\nContent-Type: multipart/mixed; boundary=\(changeset)\r\n\r\n" }
            for (index, request) in group.enumerated() {
                text += "--\(changesets ? changeset : boundary)\r\n"
                text += "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
                if changesets { text += "Content-ID: \(index + 1)\r\n" }
                text += "\r\n\(request.method.rawValue) \(apiRoot)/\(request.path) HTTP/1.1\r\n"
                if request.body != nil { text += "Content-Type: application/json; charset=utf-8\r\n" }
                for field in request.headers { text += "\(field.name): \(field.value)\r\n" }
                text += "\r\n"
                if let body = request.body { text += body.jsonText }
                text += "\r\n"
            }
            if changesets { text += "--\(changeset)--\r\n" }
        }
        text += "--\(boundary)--\r\n"
        return Array(text.utf8)
    }

    /// The answers of each top-level part of a batch response: a changeset's answers, or one answer (a lone
    /// request's, or the error that rolled a changeset back). A changeset holds answers only (OData nests no
    /// changeset in another), so a multipart part inside a changeset is skipped, as is any part that is not an
    /// answer: nesting stays one level deep however the body is built. A top-level part that holds no answer
    /// is left out, so callers that pair parts with requests by position check the count.
    static func decodeParts(_ body: [UInt8], boundary: String) -> [[BatchResponse]] {
        parts(String(decoding: body, as: UTF8.self), boundary: boundary).compactMap { part -> [BatchResponse]? in
            let (headers, content) = split(part)
            if let type = headers["Content-Type"], type.lowercased().hasPrefix("multipart/mixed") {
                guard let inner = Self.boundary(of: type) else { return nil }
                return parts(content, boundary: inner).compactMap { piece in
                    let (headers, content) = split(piece)
                    if headers["Content-Type"]?.lowercased().hasPrefix("multipart/mixed") == true { return nil }
                    return response(content)
                }
            }
            return response(content).map { [$0] }
        }
    }

    /// The `boundary=` parameter of a content type.
    static func boundary(of contentType: String) -> String? {
        contentType.split(separator: ";").lazy.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.lowercased().hasPrefix("boundary=") }
            .map { String($0.dropFirst("boundary=".count)).trimmingCharacters(in: ["\""]) }
    }

    /// The parts between `--boundary` delimiters.
    static func parts(_ text: String, boundary: String) -> [String] {
        let pieces = text.components(separatedBy: "--\(boundary)")
        return pieces.dropFirst().compactMap { piece in
            if piece.hasPrefix("--") { return nil }
            // "\r\n" is one Character in Swift: drop the line break that ends the delimiter line.
            return piece.first?.isNewline == true ? String(piece.dropFirst()) : piece
        }
    }

    /// A part's header fields and the rest.
    static func split(_ part: String) -> (HTTPHeaders, String) {
        let normalized = part.replacingOccurrences(of: "\r\n", with: "\n")
        guard let end = normalized.range(of: "\n\n") else { return (HTTPHeaders(), normalized) }
        var headers = HTTPHeaders()
        for line in normalized[..<end.lowerBound].split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(
                String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        return (headers, String(normalized[end.upperBound...]))
    }

    /// An `application/http` answer: status line, headers, body; nil when the status line is not
    /// `HTTP/<version> <three digits>[ <reason>]`.
    private static func response(_ content: String) -> BatchResponse? {
        let (head, rest) = split(content)
        guard let statusLine = content.split(separator: "\n").first, statusLine.hasPrefix("HTTP/"),
            let status = statusCode(statusLine)
        else { return nil }
        var headers = HTTPHeaders()
        for field in head where !field.name.hasPrefix("HTTP/") { headers.add(field.name, field.value) }
        let text = rest.trimmingCharacters(in: .whitespacesAndNewlines)
        return BatchResponse(status: status, headers: headers, body: text.isEmpty ? nil : try? JSONParser.parse(text))
    }

    /// The status code of a status line: its second word, three ASCII digits.
    private static func statusCode(_ statusLine: Substring) -> Int? {
        let words = statusLine.split(separator: " ", maxSplits: 2)
        guard words.count >= 2, words[1].utf8.count == 3,
            words[1].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return Int(words[1])
    }
}
