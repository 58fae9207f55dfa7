import JSON

/// A JSON Pointer (RFC 6901), such as `/value/0/id`: where a mapping finds a value in an answer. The empty
/// pointer is the whole document.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The reference tokens, unescaped (`~1` is `/`, `~0` is `~`).
    public let tokens: [String]
    /// The pointer as written.
    public let description: String

    /// Parses a pointer; nil unless it is empty or starts with `/`, or when a `~` is not followed by `0` or `1`.
    public init?(_ text: String) {
        guard text.isEmpty || text.hasPrefix("/") else { return nil }
        var tokens: [String] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            var token = ""
            var escaped = false
            for character in raw {
                if escaped {
                    switch character {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: return nil
                    }
                    escaped = false
                } else if character == "~" {
                    escaped = true
                } else {
                    token.append(character)
                }
            }
            guard !escaped else { return nil }
            tokens.append(token)
        }
        self.tokens = tokens
        description = text
    }

    /// The value the pointer names in `document`, or nil when there is none.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let elements):
                // RFC 6901: an array index is 0 or digits without a leading zero.
                guard let index = Int(token), index >= 0, index < elements.count, String(index) == token else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The text a pointer names in `document`: a string as it is, a number as its literal; nil for anything else.
    public func text(in document: JSONValue) -> String? {
        switch resolve(in: document) {
        case .string(let text): text
        case .number(let literal): literal
        default: nil
        }
    }
}
