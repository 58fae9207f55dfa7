/// How sopd authenticates to Dataverse. Its description hides the secrets.
public enum DataverseAuth: Sendable, CustomStringConvertible {
    /// A fixed bearer token (`dataverse.token`).
    case token(String)
    /// OAuth 2.0 client credentials (`dataverse.clientId`, `dataverse.clientSecret`, `dataverse.tenantId` or `dataverse.tokenURL`).
    case clientCredentials(tokenURL: String, clientId: String, clientSecret: String)

    public var description: String {
        switch self {
        case .token: "a fixed token (hidden)"
        case .clientCredentials(let url, let clientId, _): "client credentials of \(clientId) at \(url), secret hidden"
        }
    }
}
