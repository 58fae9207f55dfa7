import FlyingFox
import Foundation

extension FlyingFox.HTTPRequest {
    /// The query parameters, percent-decoded, in order. `+` stays a plus sign, as OData expects.
    var decodedQuery: [(name: String, value: String)] {
        target.query(percentEncoded: true).split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            return (name, value)
        }
    }

    /// The value of header `name`, or nil.
    func header(_ name: String) -> String? {
        headers[HTTPHeader(name)]
    }

    /// The bearer token of the `Authorization` header, or nil.
    var bearerToken: String? {
        guard let value = header("Authorization"), value.lowercased().hasPrefix("bearer ") else { return nil }
        return String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }
}
