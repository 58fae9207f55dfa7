import FlyingFox
import Foundation

extension FlyingFox.HTTPRequest {
    /// The query parameters, decoded as a form (`QueryString.decode`), in order.
    var decodedQuery: [(name: String, value: String)] {
        QueryString.decode(target.query(percentEncoded: true))
    }

    /// The scheme and authority the client used, for absolute links: `https` when a TLS front received the
    /// request (`X-Forwarded-Proto: https`, or `scheme` when the server is only reached through one, as with
    /// `sop-emulator --tls-cert`), and the `Host` header.
    func baseURL(scheme: String = "http") -> String {
        let used = header("X-Forwarded-Proto")?.lowercased() == "https" ? "https" : scheme
        return "\(used)://\(header("Host") ?? "127.0.0.1")"
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
