import Foundation
import JSON

/// How a value is written into the text a mapping template renders: a request body is JSON, a URL is
/// percent-encoded, a header is plain text. A template never builds JSON or URLs by hand: `{{orderNumber}}` in a
/// body is a JSON string literal, quotes included, and `{{quantity}}` its number literal, digit for digit.
public enum TemplateFlavor: Sendable {
    /// JSON: strings as string literals (quoted, escaped), numbers, booleans and `null` as literals, objects and
    /// arrays as JSON text. `raw(x)` writes a string's escaped characters without the quotes, to build a string.
    case json
    /// A URL: strings and numbers percent-encoded (RFC 3986 unreserved characters kept), `null` as nothing.
    /// `raw(x)` writes the text as it is.
    case url
    /// A header value: the text as it is; a value with a line break is refused when the request is built.
    case text

    /// `value`, written as this flavor writes it.
    func render(_ value: JSONValue) -> String {
        switch (self, value) {
        case (.json, _): value.jsonText
        case (_, .null): ""
        case (_, .bool(let flag)): flag ? "true" : "false"
        case (_, .number(let literal)): literal
        case (.url, .string(let text)): Self.percentEncoded(text)
        case (.url, _): Self.percentEncoded(value.jsonText)
        case (.text, .string(let text)): text
        case (.text, _): value.jsonText
        }
    }

    /// `value` written without the quoting of its flavor: a JSON string's escaped characters without the quotes, a
    /// URL's text unencoded.
    func renderRaw(_ value: JSONValue) -> String {
        switch (self, value) {
        case (.json, .string):
            let literal = value.jsonText
            return String(literal.dropFirst().dropLast())
        case (_, .string(let text)): return text
        default: return render(value)
        }
    }

    /// The characters RFC 3986 leaves unreserved stay; every other byte becomes `%XX`.
    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
