import BackOffice
import Configuration
import Dataverse
import Foundation
import HTTP
import Sync
import SystemPackage
import Transfers

/// Reads sopd's configuration from, highest precedence first: `SOPD_*` environment variables
/// (`SOPD_DATAVERSE_URL` for `dataverse.url`, `SOPD_DATAVERSE_PAGE_SIZE` for `dataverse.pageSize`),
/// secret files in `$CREDENTIALS_DIRECTORY` (`dataverse-token` for `dataverse.token`), and the YAML file.
public enum ConfigurationLoader {
    /// The environment variable prefix.
    public static let environmentPrefix = "SOPD_"

    /// Loads and validates the configuration.
    /// - Parameters:
    ///   - path: The YAML file.
    ///   - environment: The process environment.
    /// - Throws: `ConfigurationError` naming the key, the problem and the fix.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        async throws(ConfigurationError) -> SopdConfiguration
    {
        var providers: [any ConfigProvider] = [environmentProvider(environment)]
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            do {
                providers.append(try await DirectoryFilesProvider(directoryPath: FilePath(credentials)))
            } catch {
                throw ConfigurationError(
                    key: "CREDENTIALS_DIRECTORY", problem: "cannot read \(credentials) (\(error))",
                    fix: "Point CREDENTIALS_DIRECTORY at a readable folder of secret files, or unset it.")
            }
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ConfigurationError(
                key: "--config", problem: "cannot read \(path)",
                fix: "Pass --config with the path of a readable YAML file; deploy/sopd.example.yaml documents every key.")
        }
        do {
            providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
        } catch {
            throw ConfigurationError(
                key: "--config", problem: "\(path) is not valid YAML (\(error))",
                fix: "Fix the YAML syntax; deploy/sopd.example.yaml is a valid example.")
        }
        return try configuration(from: ConfigReader(providers: providers))
    }

    /// What the offline ops commands (`sopd journal …`, `sopd status`) need, read without the peers'
    /// settings or secrets: they must work on a host where only the journal is at hand.
    /// A missing file means the defaults.
    public static func opsSettings(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        async throws(ConfigurationError) -> OpsSettings
    {
        var providers: [any ConfigProvider] = [environmentProvider(environment)]
        if FileManager.default.isReadableFile(atPath: path) {
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ConfigurationError(
                    key: "--config", problem: "\(path) is not valid YAML (\(error))",
                    fix: "Fix the YAML syntax; deploy/sopd.example.yaml is a valid example.")
            }
        }
        let values = ConfigValues(reader: ConfigReader(providers: providers))
        return OpsSettings(
            journalPath: values.string("journal.path") ?? "/var/lib/sopd/journal.sqlite",
            intervalSeconds: try values.seconds("sync.intervalSeconds", default: 60),
            staleAfterIntervals: try values.integer("status.staleAfterIntervals", default: 3, range: 1...10_000))
    }

    /// Validates configuration values given in memory, as the demo does with its embedded defaults.
    public static func configuration(values: [String: String]) throws(ConfigurationError) -> SopdConfiguration {
        try configuration(
            from: ConfigReader(
                provider: InMemoryProvider(
                    values: Dictionary(uniqueKeysWithValues: values.map { (AbsoluteConfigKey(ConfigKey($0.key)), ConfigValue(.string($0.value), isSecret: false)) }))))
    }

    private static func environmentProvider(_ environment: [String: String]) -> EnvironmentVariablesProvider {
        var ours: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(environmentPrefix) {
            ours[String(name.dropFirst(environmentPrefix.count))] = value
        }
        return EnvironmentVariablesProvider(environmentVariables: ours, secretsSpecifier: .all)
    }

    static func configuration(from reader: ConfigReader) throws(ConfigurationError) -> SopdConfiguration {
        let values = ConfigValues(reader: reader)
        let dataverse = SopdConfiguration.Dataverse(
            url: try values.url("dataverse.url"), auth: try values.dataverseAuth(),
            http: try values.http("dataverse"), impersonation: try values.impersonation(),
            limits: (
                requests: try values.integer("dataverse.limits.requests", default: 6000, range: 1...1_000_000),
                windowSeconds: try values.seconds("dataverse.limits.windowSeconds", default: 300),
                concurrent: try values.integer("dataverse.limits.concurrent", default: 52, range: 1...1000)
            ))
        let backOffice = SopdConfiguration.BackOffice(
            url: try values.url("backoffice.url"), credentials: try values.backOfficeCredentials(),
            http: try values.http("backoffice", clientCertificate: true))
        let sync = SyncSettings(
            pageSize: try values.integer("dataverse.pageSize", default: 500, range: 1...5000),
            maxInFlight: try values.integer("sync.maxInFlight", default: 8, range: 1...256),
            changesPageSize: try values.integer("backoffice.changesPageSize", default: 100, range: 1...1000),
            retry: RetryPolicy(
                baseSeconds: try values.seconds("sync.retry.baseSeconds", default: 2),
                capSeconds: try values.seconds("sync.retry.capSeconds", default: 300),
                giveUpAfterSeconds: try values.duration("sync.retry.giveUpAfter", default: 72 * 3600)),
            returnRefusedOrders: try values.bool("sync.returnRefusedOrders", default: true),
            retentionSeconds: try values.seconds("journal.retentionDays", default: 30) * 86_400,
            batchSize: try values.integer("dataverse.batchSize", default: 100, range: 1...1000),
            changeTracking: try values.bool("dataverse.changeTracking", default: false))
        let logLevel = values.string("log.level") ?? "info"
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigurationError(
                key: "log.level", problem: "'\(logLevel)' is not a log level",
                fix: "Use one of trace, debug, info, notice, warning, error, critical.")
        }
        let interval = try values.seconds("sync.intervalSeconds", default: 60)
        return SopdConfiguration(
            dataverse: dataverse, backOffice: backOffice, sync: sync, intervalSeconds: interval,
            inboundIntervalSeconds: try values.seconds("sync.inboundIntervalSeconds", default: interval),
            retrySweepSeconds: try values.seconds("sync.retrySweepSeconds", default: 15),
            stopTimeoutSeconds: try values.seconds("sync.stopTimeoutSeconds", default: 20),
            journalPath: values.string("journal.path") ?? "/var/lib/sopd/journal.sqlite", logLevel: logLevel)
    }
}

/// Typed reads of configuration strings, each failure naming its key.
private struct ConfigValues {
    let reader: ConfigReader

    func string(_ key: String) -> String? {
        guard let value = reader.string(forKey: ConfigKey(key))?.trimmingCharacters(in: .whitespacesAndNewlines),
            !value.isEmpty
        else { return nil }
        return value
    }

    func required(_ key: String, fix: String) throws(ConfigurationError) -> String {
        guard let value = string(key) else { throw ConfigurationError(key: key, problem: "missing", fix: fix) }
        return value
    }

    func url(_ key: String) throws(ConfigurationError) -> String {
        let value = try required(key, fix: "Set \(key) to an http:// or https:// URL.")
        guard let components = URLComponents(string: value), ["http", "https"].contains(components.scheme ?? ""),
            !(components.host ?? "").isEmpty
        else {
            throw ConfigurationError(
                key: key, problem: "'\(value)' is not an http:// or https:// URL",
                fix: "Set \(key) to a URL such as https://contoso.crm.dynamics.com.")
        }
        return value
    }

    func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = string(key) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                key: key, problem: "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)",
                fix: "Set \(key) to a number in that range, or remove it for the default \(fallback).")
        }
        return value
    }

    func bool(_ key: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let text = string(key) else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            throw ConfigurationError(
                key: key, problem: "'\(text)' is not true or false", fix: "Set \(key) to true or false, or remove it for \(fallback).")
        }
    }

    func seconds(_ key: String, default fallback: Double) throws(ConfigurationError) -> Double {
        guard let text = string(key) else { return fallback }
        guard let value = Double(text), value > 0, value.isFinite else {
            throw ConfigurationError(
                key: key, problem: "'\(text)' is not a positive number of seconds",
                fix: "Set \(key) to a number of seconds such as 30, or remove it for the default \(fallback).")
        }
        return value
    }

    /// A duration such as `72h`, `90m`, `3d` or a number of seconds; `0` is allowed (never).
    func duration(_ key: String, default fallback: Double) throws(ConfigurationError) -> Double {
        guard let text = string(key) else { return fallback }
        guard let value = DurationText.seconds(text), value.isFinite else {
            throw ConfigurationError(
                key: key, problem: "'\(text)' is not a duration",
                fix: "Set \(key) to a duration such as 72h, 90m or 3d (0 for never), or remove it for the default.")
        }
        return value
    }

    func file(_ key: String) throws(ConfigurationError) -> String? {
        guard let path = string(key) else { return nil }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ConfigurationError(
                key: key, problem: "cannot read \(path)", fix: "Point \(key) at a readable file, or remove it.")
        }
        return path
    }

    func http(_ section: String, clientCertificate: Bool = false) throws(ConfigurationError) -> HTTPClient.Configuration {
        var tls = TLSOptions(caFile: try file("\(section).caFile"), caPath: string("\(section).caPath"))
        if clientCertificate {
            tls.clientCertificateFile = try file("\(section).clientCertificate")
            tls.clientKeyFile = try file("\(section).clientKey")
            tls.clientKeyPassword = string("\(section).clientKeyPassword")
            if (tls.clientCertificateFile == nil) != (tls.clientKeyFile == nil) {
                throw ConfigurationError(
                    key: "\(section).clientCertificate", problem: "a client certificate needs both the certificate and its key",
                    fix: "Set both \(section).clientCertificate and \(section).clientKey, or neither.")
            }
        }
        return HTTPClient.Configuration(
            connectTimeout: try seconds("\(section).connectTimeoutSeconds", default: 10),
            totalTimeout: try seconds("\(section).timeoutSeconds", default: 60), tls: tls)
    }

    /// Client credentials when `dataverse.clientId` is set, else a fixed token.
    func dataverseAuth() throws(ConfigurationError) -> DataverseAuth {
        guard let clientId = string("dataverse.clientId") else {
            return .token(
                try required(
                    "dataverse.token",
                    fix: "Set dataverse.clientId (OAuth 2.0 client credentials, preferred), or put a bearer token in $CREDENTIALS_DIRECTORY/dataverse-token (LoadCredential=) or dataverse.token."
                ))
        }
        let secret = try required(
            "dataverse.clientSecret",
            fix: "Put the app registration's client secret in $CREDENTIALS_DIRECTORY/dataverse-clientSecret (LoadCredential=) or set dataverse.clientSecret.")
        let tokenURL: String
        if string("dataverse.tokenURL") != nil {
            tokenURL = try url("dataverse.tokenURL")
        } else {
            tokenURL = ClientCredentialsTokenSource.tokenURL(
                tenantId: try required(
                    "dataverse.tenantId",
                    fix: "Set dataverse.tenantId to the Entra tenant (directory) id, or dataverse.tokenURL to the token endpoint."))
        }
        return .clientCredentials(tokenURL: tokenURL, clientId: clientId, clientSecret: secret)
    }

    func impersonation() throws(ConfigurationError) -> Impersonation? {
        let objectId = string("dataverse.impersonate.callerObjectId")
        let userId = string("dataverse.impersonate.systemUserId")
        switch (objectId, userId) {
        case (nil, nil): return nil
        case (let objectId?, nil): return .callerObjectId(objectId)
        case (nil, let userId?): return .systemUserId(userId)
        default:
            throw ConfigurationError(
                key: "dataverse.impersonate", problem: "both callerObjectId and systemUserId are set",
                fix: "Set one: callerObjectId (the integration user's Entra object id, preferred) or systemUserId.")
        }
    }

    func backOfficeCredentials() throws(ConfigurationError) -> BackOfficeCredentials {
        switch string("backoffice.auth") ?? "bearer" {
        case "bearer":
            return .bearer(
                token: try required(
                    "backoffice.token",
                    fix: "Put the token in $CREDENTIALS_DIRECTORY/backoffice-token (LoadCredential=) or set backoffice.token."))
        case "basic":
            return .basic(
                user: try required("backoffice.user", fix: "Set backoffice.user to the back-office user name."),
                password: try required(
                    "backoffice.password",
                    fix: "Put the password in $CREDENTIALS_DIRECTORY/backoffice-password (LoadCredential=) or set backoffice.password."))
        case let other:
            throw ConfigurationError(
                key: "backoffice.auth", problem: "'\(other)' is not an authentication method",
                fix: "Set backoffice.auth to bearer or basic.")
        }
    }
}
