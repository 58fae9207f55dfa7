import Foundation

/// An XML element: name, attributes, child elements and text. Enough XML for FetchXML: no namespaces,
/// no DTD; entities `&lt; &gt; &amp; &quot; &apos;` and numeric references are decoded.
struct XMLTree {
    var name: String
    var attributes: [String: String] = [:]
    var children: [XMLTree] = []
    var text = ""

    /// The deepest nesting read, so that no text can exhaust the stack.
    static let maximumDepth = 50

    static func parse(_ source: String) throws(QueryError) -> XMLTree {
        var reader = Reader(characters: Array(source))
        reader.skipProlog()
        let root = try reader.element(depth: 0)
        reader.skipSpace()
        guard reader.atEnd else { throw QueryError("The FetchXML has text after its root element.") }
        return root
    }

    private struct Reader {
        let characters: [Character]
        var position = 0
        var atEnd: Bool { position >= characters.count }

        mutating func skipSpace() { while !atEnd, characters[position].isWhitespace { position += 1 } }

        mutating func skipProlog() {
            skipSpace()
            while starts(with: "<?") || starts(with: "<!--") {
                let end = starts(with: "<?") ? "?>" : "-->"
                while !atEnd, !starts(with: end) { position += 1 }
                position = min(characters.count, position + end.count)
                skipSpace()
            }
        }

        func starts(with text: String) -> Bool {
            let needle = Array(text)
            return position + needle.count <= characters.count && Array(characters[position..<(position + needle.count)]) == needle
        }

        private func error(_ what: String) -> QueryError { QueryError("The FetchXML is not well-formed at character \(position): \(what).") }

        mutating func name() throws(QueryError) -> String {
            let start = position
            while !atEnd, characters[position].isLetter || characters[position].isNumber || "-_:.".contains(characters[position]) {
                position += 1
            }
            guard position > start else { throw error("a name was expected") }
            return String(characters[start..<position])
        }

        mutating func element(depth: Int) throws(QueryError) -> XMLTree {
            guard depth < XMLTree.maximumDepth else { throw QueryError("The FetchXML nests deeper than \(XMLTree.maximumDepth) elements.") }
            guard !atEnd, characters[position] == "<" else { throw error("'<' was expected") }
            position += 1
            var element = XMLTree(name: try name())
            while true {
                skipSpace()
                guard !atEnd else { throw error("the tag <\(element.name)> does not end") }
                if starts(with: "/>") {
                    position += 2
                    return element
                }
                if characters[position] == ">" {
                    position += 1
                    break
                }
                let attribute = try name()
                skipSpace()
                guard !atEnd, characters[position] == "=" else { throw error("'=' was expected after \(attribute)") }
                position += 1
                skipSpace()
                guard !atEnd, characters[position] == "\"" || characters[position] == "'" else { throw error("a quoted value was expected") }
                let quote = characters[position]
                position += 1
                let start = position
                while !atEnd, characters[position] != quote { position += 1 }
                guard !atEnd else { throw error("the value of \(attribute) does not end") }
                element.attributes[attribute] = Self.decode(String(characters[start..<position]))
                position += 1
            }
            while true {
                let start = position
                while !atEnd, characters[position] != "<" { position += 1 }
                element.text += Self.decode(String(characters[start..<position]))
                guard !atEnd else { throw error("</\(element.name)> is missing") }
                if starts(with: "<!--") {
                    while !atEnd, !starts(with: "-->") { position += 1 }
                    position = min(characters.count, position + 3)
                    continue
                }
                if starts(with: "</") {
                    position += 2
                    guard try name() == element.name else { throw error("</\(element.name)> was expected") }
                    skipSpace()
                    guard !atEnd, characters[position] == ">" else { throw error("'>' was expected") }
                    position += 1
                    element.text = element.text.trimmingCharacters(in: .whitespacesAndNewlines)
                    return element
                }
                element.children.append(try self.element(depth: depth + 1))
            }
        }

        static func decode(_ text: String) -> String {
            guard text.contains("&") else { return text }
            var output = ""
            var rest = Substring(text)
            while let amp = rest.firstIndex(of: "&") {
                output += rest[..<amp]
                guard let semicolon = rest[amp...].firstIndex(of: ";") else {
                    rest = rest[amp...]
                    break
                }
                let entity = rest[rest.index(after: amp)..<semicolon]
                switch entity {
                case "lt": output += "<"
                case "gt": output += ">"
                case "amp": output += "&"
                case "quot": output += "\""
                case "apos": output += "'"
                default:
                    let number = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                    if let number, let scalar = Unicode.Scalar(number) { output.unicodeScalars.append(scalar) } else { output += "&\(entity);" }
                }
                rest = rest[rest.index(after: semicolon)...]
            }
            return output + rest
        }
    }
}
