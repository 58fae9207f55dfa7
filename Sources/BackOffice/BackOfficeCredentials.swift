import Foundation

/// How sopd authenticates to the back office. Never printed: its description hides the secret.
public enum BackOfficeCredentials: Sendable, CustomStringConvertible {
    /// `Authorization: Bearer <token>`.
    case bearer(token: String)
    /// HTTP basic authentication.
    case basic(user: String, password: String)
    /// An API key in a header of its own, such as `X-API-Key: <key>`.
    case apiKey(header: String, key: String)

    /// The header that carries the credentials, and its value.
    var credentialHeader: (name: String, value: String) {
        switch self {
        case .bearer(let token): ("Authorization", "Bearer \(token)")
        case .basic(let user, let password): ("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        case .apiKey(let header, let key): (header, key)
        }
    }

    public var description: String {
        switch self {
        case .bearer: "bearer token (hidden)"
        case .basic(let user, _): "basic user \(user), password hidden"
        case .apiKey(let header, _): "API key in \(header) (hidden)"
        }
    }
}
