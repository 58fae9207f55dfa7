import Foundation

/// Query strings as the Web API reads and writes them.
enum QueryString {
    /// `query` (without `?`) decoded as a form: `+` is a space, `%2B` a plus sign. Real Dataverse decodes
    /// query strings so, and Microsoft's Python SDK relies on it (`$filter=LogicalName+eq+'account'`).
    static func decode(_ query: String?) -> [(name: String, value: String)] {
        (query ?? "").split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decodeComponent(parts[0]), parts.count > 1 ? decodeComponent(parts[1]) : "")
        }
    }

    /// `items` percent-encoded into a query string (without `?`), `$` left as it is.
    static func encode(_ items: [(name: String, value: String)]) -> String {
        items.map { "\(encodeComponent($0.name))=\(encodeComponent($0.value))" }.joined(separator: "&")
    }

    private static let unescaped: CharacterSet = {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~$")
        return allowed
    }()

    private static func encodeComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unescaped) ?? text
    }

    private static func decodeComponent(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
