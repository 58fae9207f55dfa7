import Clocks
import Foundation
import HTTP
import JSON
import PeerText

/// OAuth 2.0 client credentials against the Microsoft identity platform: a token for
/// `<organization URL>/.default`, cached until shortly before it expires and fetched anew after
/// Dataverse refuses it. The client secret never leaves this type: not in errors, not in logs.
public final class ClientCredentialsTokenSource: AccessTokenSource, @unchecked Sendable {
    private let tokenURL: String
    private let clientId: String
    private let clientSecret: String
    private let scope: String
    private let http: HTTPClient
    private let refreshMargin: Double
    private let lock = NSLock()
    private let clock: any WallClock
    private var cached: (token: String, expiresAt: Date)?

    /// The token endpoint of a tenant in the global cloud.
    public static func tokenURL(tenantId: String) -> String {
        "https://login.microsoftonline.com/\(tenantId)/oauth2/v2.0/token"
    }

    /// Creates the source.
    /// - Parameters:
    ///   - tokenURL: The token endpoint (see `tokenURL(tenantId:)`; other clouds and the emulator have their own).
    ///   - clientId: The app registration's client id.
    ///   - clientSecret: Its client secret.
    ///   - organizationURL: The Dataverse organization URL; the scope is `<it>/.default`.
    ///   - http: The HTTP client to send through.
    ///   - refreshMargin: Seconds before expiry at which a cached token is replaced.
    ///   - clock: Where a token's expiry is read.
    public convenience init(
        tokenURL: String, clientId: String, clientSecret: String, organizationURL: String, http: HTTPClient,
        refreshMargin: Double = 120, clock: any WallClock = SystemClock()
    ) {
        self.init(
            tokenURL: tokenURL, clientId: clientId, clientSecret: clientSecret,
            scope: (organizationURL.hasSuffix("/") ? String(organizationURL.dropLast()) : organizationURL) + "/.default", http: http,
            refreshMargin: refreshMargin, clock: clock)
    }

    /// Creates a source of tokens for `scope`, such as Business Central's `https://api.businesscentral.dynamics.com/.default`.
    public init(
        tokenURL: String, clientId: String, clientSecret: String, scope: String, http: HTTPClient, refreshMargin: Double = 120,
        clock: any WallClock = SystemClock()
    ) {
        self.clock = clock
        self.tokenURL = tokenURL
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.scope = scope
        self.http = http
        self.refreshMargin = refreshMargin
    }

    public func token() throws(DataverseError) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let cached, cached.expiresAt.timeIntervalSince(clock.now()) > refreshMargin { return cached.token }
        let fresh = try fetch()
        cached = fresh
        return fresh.token
    }

    public func invalidate(_ token: String) {
        lock.withLock { if cached?.token == token { cached = nil } }
    }

    private func fetch() throws(DataverseError) -> (token: String, expiresAt: Date) {
        let form = [
            ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", clientSecret), ("scope", scope),
        ].map { "\($0.0)=\(SecretRegistry.formEncoded($0.1))" }.joined(separator: "&")
        let request = HTTPRequest(
            method: .post, url: tokenURL,
            headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
            body: Array(form.utf8))
        let response: HTTPResponse
        do {
            response = try http.perform(request)
        } catch {
            throw DataverseError(code: .unavailable, message: "the token endpoint: \(PeerText.clean(error.description))")
        }
        let body = try? JSONParser.parse(response.body)
        guard response.isSuccess else {
            let reason = body?["error_description"]?.stringValue ?? body?["error"]?.stringValue ?? "HTTP \(response.status)"
            // A 4xx other than 408 and 429 is the identity platform refusing the client id, secret, tenant
            // or scope (invalid_client, unauthorized_client, invalid_scope…): asking again will not help.
            let code: DataverseError.Code =
                switch response.status {
                case 500...: .serverError
                case 408: .unavailable
                case 429: .throttled
                default: .credentialsRefused
                }
            throw DataverseError(
                code: code, status: response.status,
                message: code == .credentialsRefused
                    ? "the identity platform refused client \(clientId): \(PeerText.clean(reason))"
                    : "the token endpoint failed for client \(clientId): \(PeerText.clean(reason))",
                retryAfter: RetryAfter.seconds(response.headers["Retry-After"]))
        }
        guard let token = body?["access_token"]?.stringValue, let lifetime = body?["expires_in"]?.numberText.flatMap(Double.init),
            lifetime.isFinite
        else { throw DataverseError(code: .invalidResponse, message: "the token answer has no access_token or expires_in") }
        guard HTTPHeaders.isValidValue(token), !token.isEmpty, token.utf8.count <= Self.maximumTokenBytes else {
            throw DataverseError(
                code: .invalidResponse, message: "the token answer's access_token is not a usable header value (empty, too long, or with control characters)")
        }
        SecretRegistry.shared.register(token, replacing: "access token from \(tokenURL) for \(clientId) and \(scope)")
        // A lifetime is read within a minute past the refresh margin and a day, so that the cache always serves.
        return (token, clock.now().addingTimeInterval(min(max(lifetime, refreshMargin + 60), 86_400)))
    }

    /// The longest access token accepted (Entra's are a few kilobytes).
    static let maximumTokenBytes = 16_384

}
