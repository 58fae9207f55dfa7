import Foundation

/// How sopd authenticates to the back office. Never printed: its description hides the secret.
public enum BackOfficeCredentials: Sendable, CustomStringConvertible {
    /// `Authorization: Bearer <token>`.
    case bearer(token: String)
    /// HTTP basic authentication.
    case basic(user: String, password: String)

    /// The `Authorization` header value.
    var headerValue: String {
        switch self {
        case .bearer(let token): "Bearer \(token)"
        case .basic(let user, let password): "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
    }

    public var description: String {
        switch self {
        case .bearer: "bearer token (hidden)"
        case .basic(let user, _): "basic user \(user), password hidden"
        }
    }
}
