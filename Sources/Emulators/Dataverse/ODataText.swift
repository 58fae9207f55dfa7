/// The lexical pieces of OData text that the emulator reads in several places: lists split at a separator
/// outside quotes and brackets, quoted literals, and resource paths whose keys may hold quoted text.
enum ODataText {
    /// Splits `text` at `separator` outside '…' and "…" literals, parentheses and brackets; empty parts
    /// (blank ones, at the end) are dropped.
    /// - Throws: `QueryError` when parentheses or brackets do not balance.
    static func splitTopLevel(_ text: String, separator: Character) throws(QueryError) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "(" || character == "[" {
                depth += 1
            } else if character == ")" || character == "]" {
                depth -= 1
                if depth < 0 { throw QueryError("Unbalanced parentheses in '\(text)'.") }
            } else if character == separator, depth == 0 {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        guard depth == 0 else { throw QueryError("Unbalanced parentheses in '\(text)'.") }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { parts.append(current) }
        return parts
    }

    /// The text of a quoted literal: '…' with '' for a quote, or "…"; nil when `text` is not one.
    static func unquoted(_ text: String) -> String? {
        let value = text.trimmingCharacters(in: .whitespaces)
        guard value.count >= 2 else { return nil }
        if value.hasPrefix("'"), value.hasSuffix("'") {
            let inner = value.dropFirst().dropLast()
            guard inner.replacingOccurrences(of: "''", with: "").allSatisfy({ $0 != "'" }) else { return nil }
            return inner.replacingOccurrences(of: "''", with: "'")
        }
        if value.hasPrefix("\""), value.hasSuffix("\"") { return String(value.dropFirst().dropLast()) }
        return nil
    }

    /// `a(key)/b/c` as its segments, each a name and the text in its parentheses, if any; parentheses inside
    /// a quoted key, such as `accounts(name='A (B)')`, belong to the key.
    static func segments(_ path: String) -> [(name: String, key: String?)] {
        var result: [(String, String?)] = []
        var name = ""
        var key: String?
        var inKey = false
        var quoted = false
        for character in path {
            if inKey {
                if character == "'" { quoted.toggle() }
                if character == ")" && !quoted {
                    inKey = false
                    continue
                }
                key?.append(character)
            } else if character == "(" {
                inKey = true
                key = ""
            } else if character == "/" {
                result.append((name, key))
                name = ""
                key = nil
            } else {
                name.append(character)
            }
        }
        result.append((name, key))
        return result
    }
}
