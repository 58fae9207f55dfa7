import BackOffice
import Synchronization
import Clocks
import Dataverse
import HTTP

/// OAuth 2.0 client credentials of the back office (`backoffice.auth: oauth`): Business Central's own endpoint takes
/// tokens of the Microsoft identity platform for its scope, as Dataverse does for its own.
public struct OAuthClient: Sendable, CustomStringConvertible {
    /// The token endpoint.
    public var tokenURL: String
    /// The app registration's client id.
    public var clientId: String
    /// Its secret (a credential; never printed).
    public var clientSecret: String
    /// The scope tokens are asked for.
    public var scope: String

    /// The tokens, fetched through `http` and kept until shortly before they expire.
    func tokenSource(http: HTTPClient, clock: any WallClock) -> ClientCredentialsTokenSource {
        ClientCredentialsTokenSource(tokenURL: tokenURL, clientId: clientId, clientSecret: clientSecret, scope: scope, http: http, clock: clock)
    }

    public var description: String { "OAuth client \(clientId) at \(tokenURL) for \(scope), secret hidden" }
}

/// The back office's `Authorization` from OAuth tokens: a token is fetched when needed, and fetched anew after the
/// back office refused one (401).
final class OAuthAuthorizer: BackOfficeAuthorizer {
    let tokens: ClientCredentialsTokenSource
    /// The token sent last.
    private let last = Mutex<String?>(nil)

    init(tokens: ClientCredentialsTokenSource) {
        self.tokens = tokens
    }

    func header() throws(BackOfficeError) -> (name: String, value: String) {
        do {
            let token = try tokens.token()
            last.withLock { $0 = token }
            return ("Authorization", "Bearer \(token)")
        } catch {
            throw BackOfficeError(
                code: error.code == .credentialsRefused ? .unauthorized : .unavailable, status: error.status,
                message: "no token for the back office: \(error.message)", retryAfter: error.retryAfter)
        }
    }

    func refused() {
        if let token = last.withLock({ $0 }) { tokens.invalidate(token) }
    }
}
