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
        parts(body[...], boundary: boundary).compactMap { part -> [BatchResponse]? in
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

    /// The parts between `--boundary` delimiters, without the line break that ends a delimiter line; the
    /// closing delimiter (`--boundary--`) and what follows it end no part. The body is read as bytes: a batch
    /// answer of a thousand parts is searched, not copied into strings.
    static func parts(_ bytes: ArraySlice<UInt8>, boundary: String) -> [ArraySlice<UInt8>] {
        let delimiter = Array("--\(boundary)".utf8)
        var starts: [Int] = []
        var from = bytes.startIndex
        while let found = find(delimiter, in: bytes[from...]) {
            starts.append(found)
            from = found + delimiter.count
        }
        return starts.indices.compactMap { index in
            var piece = bytes[(starts[index] + delimiter.count)..<(index + 1 < starts.count ? starts[index + 1] : bytes.endIndex)]
            if piece.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")]) { return nil }
            if piece.first == UInt8(ascii: "\r") { piece = piece.dropFirst() }
            if piece.first == UInt8(ascii: "\n") { piece = piece.dropFirst() }
            return piece
        }
    }

    /// Where `needle` first starts in `haystack`, as an index of `haystack`.
    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard let head = needle.first, haystack.count >= needle.count else { return nil }
        let last = haystack.endIndex - needle.count
        var from = haystack.startIndex
        while from <= last, let candidate = haystack[from...last].firstIndex(of: head) {
            if haystack[candidate..<(candidate + needle.count)].elementsEqual(needle) { return candidate }
            from = candidate + 1
        }
        return nil
    }

    /// A part's header fields and the rest: the header block ends at the first empty line (CRLF or LF line ends).
    static func split(_ part: ArraySlice<UInt8>) -> (HTTPHeaders, ArraySlice<UInt8>) {
        var headers = HTTPHeaders()
        var line = part.startIndex
        while line < part.endIndex {
            let end = part[line...].firstIndex(of: UInt8(ascii: "\n")) ?? part.endIndex
            var text = part[line..<end]
            if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
            if text.isEmpty { return (headers, part[min(end + 1, part.endIndex)...]) }
            if let colon = text.firstIndex(of: UInt8(ascii: ":")) {
                headers.add(
                    String(decoding: text[..<colon], as: UTF8.self).trimmingCharacters(in: .whitespaces),
                    String(decoding: text[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces))
            }
            line = end + 1
        }
        return (HTTPHeaders(), part)
    }

    /// An `application/http` answer: status line, headers, body; nil when the status line is not
    /// `HTTP/<version> <three digits>[ <reason>]`.
    private static func response(_ part: ArraySlice<UInt8>) -> BatchResponse? {
        // Blank lines before the status line are passed over.
        let content = part.drop { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }
        let lineEnd = content.firstIndex(of: UInt8(ascii: "\n")) ?? content.endIndex
        var firstLine = content[..<lineEnd]
        if firstLine.last == UInt8(ascii: "\r") { firstLine = firstLine.dropLast() }
        let statusLine = String(decoding: firstLine, as: UTF8.self)
        guard statusLine.hasPrefix("HTTP/"), let status = statusCode(Substring(statusLine)) else { return nil }
        let (headers, rest) = split(content[min(lineEnd + 1, content.endIndex)...])
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard let first = rest.firstIndex(where: { !isSpace($0) }), let last = rest.lastIndex(where: { !isSpace($0) }) else {
            return BatchResponse(status: status, headers: headers, body: nil)
        }
        return BatchResponse(status: status, headers: headers, body: try? JSONParser.parse(Array(rest[first...last])))
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
