import BackOffice
import Clocks
import Dataverse
import HTTP
import HTTPListener
import Sync

/// Everything sopd reads from its configuration, validated. `deploy/sopd.example.yaml` documents each key.
public struct SopdConfiguration: Sendable {
    /// The Dataverse side.
    public struct Dataverse: Sendable {
        /// The organization URL (`dataverse.url`).
        public var url: String
        /// How sopd authenticates: a fixed token, or OAuth 2.0 client credentials.
        public var auth: DataverseAuth
        /// HTTP settings for Dataverse.
        public var http: HTTPClient.Configuration
        /// The integration user to act as (`dataverse.impersonate.*`), when sopd's own user is not one.
        public var impersonation: Impersonation?
        /// sopd's own limits under the service protection limits (`dataverse.limits.*`): requests per
        /// window, the window in seconds, and requests at once.
        public var limits: (requests: Int, windowSeconds: Double, concurrent: Int)
    }

    /// The back-office side.
    public struct BackOffice: Sendable {
        /// The API sopd speaks to the back office (`backoffice.adapter`).
        public enum Adapter: Sendable {
            /// sopd's own contract v1 (`docs/backoffice-api.yaml`).
            case contractV1
            /// An ERP's own REST API, through the mapping file `backoffice.mapping`.
            case httpMapping(HTTPMapping)
            /// Business Central's API v2.0, through the built-in profile (`BusinessCentralProfile`).
            case businessCentral(HTTPMapping)

            /// The name `backoffice.adapter` gives it.
            public var name: String {
                switch self {
                case .contractV1: "contract-v1"
                case .httpMapping: "http-mapping"
                case .businessCentral: "business-central"
                }
            }
        }

        /// The API spoken.
        public var adapter: Adapter
        /// The base URL (`backoffice.url`): contract v1's, or what a mapping's URLs starting with `/` follow.
        public var url: String
        /// How to authenticate with a token or a password (`backoffice.auth` bearer or basic, and its secret); nil
        /// under `oauth`.
        public var credentials: BackOfficeCredentials?
        /// OAuth 2.0 client credentials (`backoffice.auth: oauth`), the default of `business-central`.
        public var oauth: OAuthClient?
        /// HTTP settings for the back office, client certificate included.
        public var http: HTTPClient.Configuration
        /// The receiver of the ERP's notifications (`backoffice.webhook.*`), when the mapping has `inbound.webhook`.
        public var webhook: Webhook?
    }

    /// Where sopd receives an ERP's signed notifications.
    public struct Webhook: Sendable {
        /// The address to listen on.
        public var listen: ListenAddress
        /// The secret shared with the ERP (`backoffice.webhook.secret`).
        public var secret: String
        /// The PEM certificate chain and key of its HTTPS; nil for plain HTTP behind a TLS-terminating proxy
        /// (`backoffice.webhook.allowInsecureHTTP`).
        public var tls: (certificate: String, key: String)?
    }

    /// The Dataverse side.
    public var dataverse: Dataverse
    /// The back-office side.
    public var backOffice: BackOffice
    /// Paging and concurrency of a cycle.
    public var sync: SyncSettings
    /// Seconds between outbound polls of the daemon (`sync.intervalSeconds`).
    public var intervalSeconds: Double
    /// Seconds between looks for newly submitted orders, one small Dataverse request each, which start an
    /// outbound cycle when something changed (`sync.probeSeconds`); 0 when sopd only polls every interval.
    public var probeSeconds: Double
    /// Seconds between inbound polls (`sync.inboundIntervalSeconds`; by default `probeSeconds`, or the
    /// outbound interval when sopd does not probe).
    public var inboundIntervalSeconds: Double
    /// Seconds between retry sweeps (`sync.retrySweepSeconds`).
    public var retrySweepSeconds: Double
    /// Seconds a stop waits for the cycle under way (`sync.stopTimeoutSeconds`).
    public var stopTimeoutSeconds: Double
    /// Where the journal is and how this process shares it (`journal.*`).
    public var journal: JournalSettings
    /// The least severe log level written (`log.level`).
    public var logLevel: String
    /// Where the metrics and health endpoint listens (`metrics.listen`), or nil when it is off.
    public var metricsListen: ListenAddress?
}

extension SopdConfiguration.BackOffice {
    /// The adapter of the configured back office, with its own connection pool; `observer` hears every request, and
    /// `clock` is the time a mapped create settles on.
    public func makeAdapter(clock: any WallClock = SystemClock(), observer: HTTPClient.Observer? = nil) -> any BackOfficeAdapter {
        let client = HTTPClient(configuration: http, observer: observer)
        let authorizer: any BackOfficeAuthorizer =
            if let oauth { OAuthAuthorizer(tokens: oauth.tokenSource(http: client, clock: clock)) } else { credentials ?? .bearer(token: "") }
        switch adapter {
        case .contractV1:
            return BackOfficeClient(baseURL: url, authorizer: authorizer, http: client)
        case .httpMapping(let mapping), .businessCentral(let mapping):
            return HTTPMappingAdapter(name: adapter.name, mapping: mapping, baseURL: url, authorizer: authorizer, http: client, clock: clock)
        }
    }
}

extension SopdConfiguration.Dataverse {
    /// A client of the configured organization, with its own connection pool; its token cache, its
    /// request budget and its waits for `Retry-After` keep time on `clock`; `observer` hears every request.
    public func makeClient(clock: any WallClock = SystemClock(), observer: HTTPClient.Observer? = nil) -> DataverseClient {
        let client = HTTPClient(configuration: http, observer: observer)
        let tokens: any AccessTokenSource =
            switch auth {
            case .token(let token): StaticAccessToken(token)
            case .clientCredentials(let tokenURL, let clientId, let clientSecret):
                ClientCredentialsTokenSource(
                    tokenURL: tokenURL, clientId: clientId, clientSecret: clientSecret, organizationURL: url, http: client,
                    clock: clock)
            }
        return DataverseClient(
            organizationURL: url, http: client, tokens: tokens, impersonation: impersonation,
            budget: RequestBudget(
                requests: limits.requests, windowSeconds: limits.windowSeconds, concurrent: limits.concurrent, clock: clock))
    }
}
