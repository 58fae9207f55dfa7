import BackOffice
import Clocks
import Daemon
import Dataverse
import Emulators
import HTTP
import JSON
import Logging
import Sync

/// Both emulators in-process plus sopd's runtime configured against them, as the integration tests use them.
public struct SyncFixture: Sendable {
    /// The emulators.
    public let suite: EmulatorSuite
    /// The folder of the journal.
    public let directory: TemporaryDirectory
    /// Fabrikam ERP and Business Central's API, when asked for.
    public let erps: ERPEmulators?

    /// Starts the emulators.
    /// - Parameters:
    ///   - seedDemoData: Whether to add the 20 demo orders.
    ///   - sopIntegrationEnabled: The initial value of `issopintegrationenabled`: on, as an administrator
    ///     turns it on for sopd, unless a test says otherwise.
    ///   - erps: Whether to start Fabrikam ERP and Business Central's API too.
    public init(seedDemoData: Bool = false, sopIntegrationEnabled: Bool = true, erps: Bool = false) async throws {
        suite = try await EmulatorSuite(
            seedDemoData: seedDemoData, sopIntegrationEnabled: sopIntegrationEnabled, logger: Self.quietLogger)
        self.erps = erps ? try await ERPEmulators(logger: Self.quietLogger) : nil
        directory = try TemporaryDirectory()
    }

    /// A logger that drops everything, so test output shows test results only.
    public static let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The configuration values of a sopd pointed at the emulators; `overrides` replace or add keys.
    public func configurationValues(_ overrides: [String: String] = [:]) -> [String: String] {
        [
            "dataverse.url": suite.dataverseServer.baseURL,
            "dataverse.token": EmulatorIdentities.applicationUserToken,
            "backoffice.url": suite.backOfficeServer.baseURL,
            "backoffice.token": EmulatorIdentities.backOfficeCredentials.bearerToken,
            "journal.path": directory.file("journal.sqlite"),
        ].merging(overrides) { _, new in new }
    }

    /// sopd's runtime configured against the emulators, keeping time on `clock`, drawing jitter from
    /// `random`, logging to `logger`, measuring into `metrics`.
    public func runtime(
        _ overrides: [String: String] = [:], clock: any WallClock = SystemClock(), random: any RandomSource = SystemRandom(),
        logger: Logger = quietLogger, metrics: SyncMetrics = SyncMetrics()
    ) throws -> Runtime {
        try Runtime(
            configuration: ConfigurationLoader.configuration(values: configurationValues(overrides)),
            logger: logger, clock: clock, random: random, metrics: metrics)
    }

    /// A Dataverse client acting with `token`.
    public func dataverseClient(token: String = EmulatorIdentities.applicationUserToken) -> DataverseClient {
        DataverseClient(organizationURL: suite.dataverseServer.baseURL, http: HTTPClient(), tokens: StaticAccessToken(token))
    }

    /// Sends one Web API request to the Dataverse emulator with `token`, as a client would.
    /// - Parameters:
    ///   - method: The method.
    ///   - path: The path under `/api/data/v9.2/`, query included.
    ///   - body: A JSON body, if any.
    ///   - token: The caller's bearer token.
    ///   - headers: More headers, such as `Prefer`.
    public func webAPI(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil,
        token: String = EmulatorIdentities.applicationUserToken, headers: HTTPHeaders = [:]
    ) async throws -> HTTPResponse {
        var all: HTTPHeaders = ["Authorization": "Bearer \(token)", "Accept": "application/json", "OData-Version": "4.0"]
        if body != nil { all["Content-Type"] = "application/json; charset=utf-8" }
        for field in headers { all[field.name] = field.value }
        return try await HTTPClient().response(
            for: HTTPRequest(
                method: method, url: "\(suite.dataverseServer.baseURL)/api/data/v9.2/\(path)", headers: all,
                body: body?.serialized()))
    }

    /// A back-office client with `credentials`.
    public func backOfficeClient(
        credentials: BackOfficeCredentials = .bearer(token: EmulatorIdentities.backOfficeCredentials.bearerToken)
    ) -> BackOfficeClient {
        BackOfficeClient(baseURL: suite.backOfficeServer.baseURL, credentials: credentials, http: HTTPClient())
    }
}
