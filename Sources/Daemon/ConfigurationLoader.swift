import BackOffice
import Configuration
import Dataverse
import Foundation
import HTTP
import HTTPListener
import Journal
import PeerText
import Sync
import SystemPackage
import Transfers
import Yams

/// Reads sopd's configuration from, highest precedence first: `SOPD_*` environment variables
/// (`SOPD_DATAVERSE_URL` for `dataverse.url`, `SOPD_DATAVERSE_PAGE_SIZE` for `dataverse.pageSize`),
/// secret files in `$CREDENTIALS_DIRECTORY` (`dataverse-token` for `dataverse.token`), and the YAML file.
/// Every key must be one of `ConfigSchema.entries`, every value within its documented range; an error
/// names the key (or the variable or file that set it) and the fix. No network is used.
public enum ConfigurationLoader {
    /// The environment variable prefix.
    public static let environmentPrefix = "SOPD_"

    /// Loads and validates the configuration.
    /// - Parameters:
    ///   - path: The YAML file.
    ///   - environment: The process environment.
    ///   - credentialsDirectory: The folder of secret files (`--credentials-dir`), instead of `$CREDENTIALS_DIRECTORY`.
    /// - Throws: `ConfigurationError` naming the key, the problem and the fix.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment, credentialsDirectory: String? = nil
    ) async throws(ConfigurationError) -> SopdConfiguration {
        let (reader, origins) = try await reader(path: path, environment: environment, credentialsDirectory: credentialsDirectory)
        return try configuration(from: reader, origins: origins)
    }

    /// Loads and validates only the Dataverse settings, for the commands that talk to Dataverse alone
    /// (`sopd sop …`): the back office's settings and secrets need not be at hand.
    public static func loadDataverse(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment, credentialsDirectory: String? = nil
    ) async throws(ConfigurationError) -> SopdConfiguration.Dataverse {
        let (reader, origins) = try await reader(path: path, environment: environment, credentialsDirectory: credentialsDirectory)
        return try ConfigValues(reader: reader, origins: origins).dataverse()
    }

    /// The layered reader of every source, and where the keys set outside the file come from.
    private static func reader(path: String, environment: [String: String], credentialsDirectory: String?)
        async throws(ConfigurationError) -> (ConfigReader, [String: String])
    {
        try checkKnown(environment.keys.filter { $0.hasPrefix(environmentPrefix) }, source: "environment variable") {
            ConfigSchema.environmentName($0)
        }
        var origins = environmentOrigins(environment)
        var providers: [any ConfigProvider] = [environmentProvider(environment)]
        let credentials = credentialsDirectory ?? environment["CREDENTIALS_DIRECTORY"]
        let credentialsSource = credentialsDirectory == nil ? "CREDENTIALS_DIRECTORY" : "--credentials-dir"
        if let credentials, !credentials.isEmpty {
            if let problem = SystemErrorText.listProblem(path: credentials) {
                throw ConfigurationError(
                    key: credentialsSource, problem: "cannot read the folder \(credentials): \(problem)",
                    fix: credentialsFix(credentials))
            }
            do {
                // Other files may be there for other uses (a TLS key loaded with LoadCredential=, say): only
                // the files named after a key are read.
                let names = try FileManager.default.contentsOfDirectory(atPath: credentials)
                for entry in ConfigSchema.entries where names.contains(ConfigSchema.credentialName(entry.key)) {
                    origins[entry.key] = origins[entry.key] ?? "\(credentials)/\(ConfigSchema.credentialName(entry.key))"
                }
                providers.append(try await DirectoryFilesProvider(directoryPath: FilePath(credentials)))
            } catch {
                throw ConfigurationError(
                    key: credentialsSource, problem: "cannot read the secrets in \(credentials): \(SystemErrorText.reason(error))",
                    fix: credentialsFix(credentials))
            }
        }
        if let problem = SystemErrorText.readProblem(path: path) {
            throw ConfigurationError(
                key: "--config", problem: "cannot read \(path): \(problem)",
                fix: "Pass --config with the path of a readable YAML file; deploy/sopd.example.yaml documents every key.")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(
                key: "--config", problem: "cannot read \(path)",
                fix: "Pass --config with the path of a readable YAML file; deploy/sopd.example.yaml documents every key.")
        }
        try checkKnown(try fileKeys(data, path: path), source: "key in \(path)") { $0 }
        do {
            providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
        } catch {
            throw ConfigurationError(
                key: "--config", problem: "\(path) is not valid YAML (\(Self.reason(error)))",
                fix: "Fix the YAML syntax; deploy/sopd.example.yaml is a valid example.")
        }
        return (ConfigReader(providers: providers), origins)
    }

    /// What the offline ops commands (`sopd journal …`, `sopd status`) need, read without the peers'
    /// settings or secrets: they must work on a host where only the journal is at hand.
    /// A missing file means the defaults.
    public static func opsSettings(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        async throws(ConfigurationError) -> OpsSettings
    {
        let origins = environmentOrigins(environment)
        var providers: [any ConfigProvider] = [environmentProvider(environment)]
        let readError = SystemErrorText.readError(path: path)
        if let readError, readError != ENOENT {
            throw ConfigurationError(
                key: "--config", problem: "cannot read \(path): \(SystemErrorText.reason(errno: readError))",
                fix: "Run the command as the sopd user (sudo -u sopd sopd …), which can read the configuration and the journal.")
        }
        if readError == nil {
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ConfigurationError(
                    key: "--config", problem: "\(path) is not valid YAML (\(Self.reason(error)))",
                    fix: "Fix the YAML syntax; deploy/sopd.example.yaml is a valid example.")
            }
        }
        let values = ConfigValues(reader: ConfigReader(providers: providers), origins: origins)
        var journal = try values.journal()
        if journal.password == nil, journal.sqlitePath == nil {
            journal.password = journalPasswordFile(environment)
        }
        return OpsSettings(
            journal: journal,
            intervalSeconds: try values.seconds("sync.intervalSeconds", default: 60),
            staleAfterIntervals: try values.integer("status.staleAfterIntervals", default: 3))
    }

    /// Validates configuration values given in memory, as the demo does with its embedded defaults.
    public static func configuration(values: [String: String]) throws(ConfigurationError) -> SopdConfiguration {
        try checkKnown(Array(values.keys), source: "key") { $0 }
        return try configuration(
            from: ConfigReader(
                provider: InMemoryProvider(
                    values: Dictionary(uniqueKeysWithValues: values.map { (AbsoluteConfigKey(ConfigKey($0.key)), ConfigValue(.string($0.value), isSecret: false)) }))),
            origins: [:])
    }

    /// The PostgreSQL journal's password for an ops command run from a shell: the `journal-password` credential of
    /// `$CREDENTIALS_DIRECTORY`, or of /etc/sopd/credentials (as deploy/README.md installs it; root's), if readable.
    private static func journalPasswordFile(_ environment: [String: String]) -> String? {
        let name = ConfigSchema.credentialName("journal.password")
        for folder in [environment["CREDENTIALS_DIRECTORY"], "/etc/sopd/credentials"].compactMap({ $0 }) {
            guard let text = try? String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8) else { continue }
            let password = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !password.isEmpty else { continue }
            SecretRegistry.shared.register(password)
            return password
        }
        return nil
    }

    /// How to give sopd its secrets when `folder` cannot be read.
    private static func credentialsFix(_ folder: String) -> String {
        if folder.hasPrefix("/etc/sopd/credentials") {
            return "That folder is root's (mode 0700): run the command as root (sudo sopd … --credentials-dir \(folder)), or through systemd-run -p LoadCredential=… as deploy/README.md shows."
        }
        return "Point it at a folder of secret files sopd can read (systemd's LoadCredential= makes one), or leave it unset."
    }

    /// The journal's path when neither `journal.url` nor `journal.path` is set.
    public static let defaultJournalPath = "/var/lib/sopd/journal.sqlite"

    private static func environmentProvider(_ environment: [String: String]) -> EnvironmentVariablesProvider {
        var ours: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(environmentPrefix) {
            ours[String(name.dropFirst(environmentPrefix.count))] = value
        }
        return EnvironmentVariablesProvider(environmentVariables: ours, secretsSpecifier: .all)
    }

    /// Which keys the environment sets, by the variable that sets them.
    private static func environmentOrigins(_ environment: [String: String]) -> [String: String] {
        var origins: [String: String] = [:]
        for entry in ConfigSchema.entries where environment[ConfigSchema.environmentName(entry.key)] != nil {
            origins[entry.key] = "\(ConfigSchema.environmentName(entry.key)) (environment)"
        }
        return origins
    }

    /// Refuses any of `names` that is not `name(key)` of a known key, naming the nearest known one.
    private static func checkKnown(_ names: [String], source: String, name: (String) -> String) throws(ConfigurationError) {
        let known = ConfigSchema.entries.map { name($0.key) }
        for unknown in names.sorted() where !known.contains(unknown) {
            if let key = ConfigSchema.removed.keys.first(where: { name($0) == unknown }) {
                throw ConfigurationError(key: unknown, problem: "is no longer read", fix: ConfigSchema.removed[key]! + ".")
            }
            let suggestion = Spelling.nearest(unknown, among: known).map { "Did you mean \($0)? " } ?? ""
            throw ConfigurationError(
                key: unknown, problem: "unknown \(source)",
                fix: "\(suggestion)Remove it or correct its spelling; deploy/sopd.example.yaml lists every key.")
        }
    }

    /// The dotted keys of the YAML document's values (`dataverse.limits.requests`).
    private static func fileKeys(_ data: Data, path: String) throws(ConfigurationError) -> [String] {
        let node: Node?
        do {
            node = try Yams.compose(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw ConfigurationError(
                key: "--config", problem: "\(path) is not valid YAML (\(Self.reason(error)))",
                fix: "Fix the YAML syntax; deploy/sopd.example.yaml is a valid example.")
        }
        guard let node else { return [] }
        guard let mapping = node.mapping else {
            throw ConfigurationError(
                key: "--config", problem: "\(path) is not a YAML mapping of keys",
                fix: "Write the configuration as keys and values; deploy/sopd.example.yaml is a valid example.")
        }
        var keys: [String] = []
        func walk(_ mapping: Node.Mapping, prefix: String) {
            for (key, value) in mapping {
                let name = prefix + (key.string ?? "?")
                if let nested = value.mapping { walk(nested, prefix: name + ".") } else { keys.append(name) }
            }
        }
        walk(mapping, prefix: "")
        return keys
    }

    /// An error's explanation: its first line only (a YAML error goes on with the offending line, which
    /// may hold a secret), bounded.
    static func reason(_ error: any Error) -> String {
        PeerText.clean(String("\(error)".split(separator: "\n", omittingEmptySubsequences: false).first ?? ""), limit: 200)
    }

    static func configuration(from reader: ConfigReader, origins: [String: String]) throws(ConfigurationError) -> SopdConfiguration {
        let values = ConfigValues(reader: reader, origins: origins)
        let dataverse = try values.dataverse()
        let adapter = try values.backOfficeAdapter()
        let oauth = try values.backOfficeOAuth(adapter: adapter)
        let backOffice = SopdConfiguration.BackOffice(
            adapter: adapter, url: try values.url("backoffice.url", insecureFlag: "backoffice.allowInsecureHTTP"),
            credentials: try values.backOfficeCredentials(oauth: oauth != nil), oauth: oauth,
            http: try values.http("backoffice", clientCertificate: true), webhook: try values.webhook(adapter: adapter))
        let sync = SyncSettings(
            pageSize: try values.integer("dataverse.pageSize", default: 500),
            maxInFlight: try values.integer("sync.maxInFlight", default: 32),
            adaptiveInFlight: try values.bool("sync.adaptiveInFlight", default: true),
            changesPageSize: try values.integer("backoffice.changesPageSize", default: 100),
            retry: RetryPolicy(
                baseSeconds: try values.seconds("sync.retry.baseSeconds", default: 2),
                capSeconds: try values.seconds("sync.retry.capSeconds", default: 300),
                giveUpAfterSeconds: try values.duration("sync.retry.giveUpAfter", default: 72 * 3600)),
            returnRefusedOrders: try values.bool("sync.returnRefusedOrders", default: true),
            retentionSeconds: Double(try values.integer("journal.retentionDays", default: 30)) * 86_400,
            batchSize: try values.integer("dataverse.batchSize", default: 100),
            changeTracking: try values.bool("dataverse.changeTracking", default: false),
            maxPagesPerCycle: try values.integer("dataverse.maxPagesPerCycle", default: 1000),
            maxEventsPerCycle: try values.integer("backoffice.maxEventsPerCycle", default: 10_000), intake: try values.intake())
        let interval = try values.seconds("sync.intervalSeconds", default: 60)
        let probe = try values.seconds("sync.probeSeconds", default: 2)
        guard probe == 0 || probe >= 1 else {
            throw ConfigurationError(
                key: "sync.probeSeconds", problem: "\(probe) s would spend the Dataverse request budget on looking",
                fix: "Set sync.probeSeconds to 0 (no looks, poll every sync.intervalSeconds) or from 1 to 3600 seconds.")
        }
        // Read by sopd status (OpsSettings); checked here too, so that the daemon and config check refuse a bad one.
        _ = try values.integer("status.staleAfterIntervals", default: 3)
        return SopdConfiguration(
            dataverse: dataverse, backOffice: backOffice, sync: sync, intervalSeconds: interval, probeSeconds: probe,
            inboundIntervalSeconds: try values.seconds("sync.inboundIntervalSeconds", default: probe > 0 ? probe : interval),
            retrySweepSeconds: try values.seconds("sync.retrySweepSeconds", default: 15),
            stopTimeoutSeconds: try values.seconds("sync.stopTimeoutSeconds", default: 20),
            journal: try values.journal(),
            logLevel: try values.choice("log.level", default: "info"),
            metricsListen: try values.listenAddress("metrics.listen", default: defaultMetricsListen))
    }

    /// Where the metrics and health endpoint listens when `metrics.listen` is not set: loopback, on
    /// the port node_exporter's neighbours leave free for it.
    public static let defaultMetricsListen = ListenAddress(host: "127.0.0.1", port: 9464)
}

/// Typed reads of configuration strings, each checked against its `ConfigSchema` entry; each failure
/// names its key, or the environment variable or credential file that set it. Secrets read are
/// registered with `SecretRegistry`, so that no log line or peer text can show them.
private struct ConfigValues {
    let reader: ConfigReader
    /// Where keys set outside the YAML file come from.
    let origins: [String: String]

    /// How an error names `key`: the variable or file that set it, or the key.
    func label(_ key: String) -> String {
        origins[key].map { "\($0), for \(key)" } ?? key
    }

    /// The value of `key`, trimmed; nil when it is not set.
    /// - Throws: when it is set but empty, or holds a control character (CR, LF, NUL…).
    func string(_ key: String) throws(ConfigurationError) -> String? {
        let entry = ConfigSchema.entry(key)
        guard let raw = reader.string(forKey: ConfigKey(key), isSecret: entry.isSecret) else { return nil }
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else {
            throw ConfigurationError(
                key: label(key), problem: "is empty", fix: "Give \(key) a value, or remove the key.")
        }
        guard HTTPHeaders.isValidValue(value) else {
            throw ConfigurationError(
                key: label(key), problem: "holds a control character (such as CR, LF or NUL)",
                fix: "Write \(key) on one line without control characters\(entry.isSecret ? "; check the secret's file for a stray line break inside it" : "").")
        }
        if entry.isSecret { SecretRegistry.shared.register(value) }
        return value
    }

    /// `journal.*`: `journal.url` (or the older `journal.path`, not both), the password a PostgreSQL journal needs,
    /// the lease, the timeout and this host's name.
    func journal() throws(ConfigurationError) -> JournalSettings {
        let url = try string("journal.url")
        let path = try string("journal.path")
        if url != nil && path != nil {
            throw ConfigurationError(
                key: label("journal.url"), problem: "is set together with journal.path",
                fix: "Keep one: journal.url (sqlite:///PATH or postgres://USER@HOST/DATABASE), or journal.path for a SQLite file.")
        }
        let location: JournalURL
        if let path {
            location = .sqlite(path: path)
        } else {
            do {
                location = try JournalURL(url ?? ConfigurationLoader.defaultJournalPath)
            } catch {
                throw ConfigurationError(key: label("journal.url"), problem: error.message, fix: JournalSettings.urlFix)
            }
        }
        let password = try string("journal.password")
        if case .postgres(let target) = location {
            if !JournalSettings.hasPostgreSQL {
                throw ConfigurationError(
                    key: label("journal.url"), problem: "names PostgreSQL (\(target.description)), and this sopd was built without that backend",
                    fix: "Use the packaged sopd, or one built with swift build (make demo's build leaves PostgreSQL out).")
            }
            if let file = target.rootCertificate, access(file, R_OK) != 0 {
                throw ConfigurationError(
                    key: label("journal.url"), problem: "sslrootcert \(file) cannot be read: \(String(cString: strerror(errno)))",
                    fix: "Point sslrootcert at the PEM file of the CA that signed the server's certificate, readable by the sopd user.")
            }
        }
        let lease = try seconds("journal.leaseSeconds", default: 60)
        let timeout = try seconds("journal.timeoutSeconds", default: 10)
        guard lease >= 2 * timeout else {
            throw ConfigurationError(
                key: label("journal.leaseSeconds"), problem: "\(lease) s is less than twice journal.timeoutSeconds (\(timeout) s)",
                fix: "A claim is renewed every third of a lease and a renewal may take journal.timeoutSeconds: raise journal.leaseSeconds or lower journal.timeoutSeconds.")
        }
        return JournalSettings(
            url: location, password: password, leaseSeconds: lease, timeoutSeconds: timeout,
            hostName: try string("journal.hostName") ?? LocalProcessProbe.hostName)
    }

    func required(_ key: String, fix: String) throws(ConfigurationError) -> String {
        guard let value = try string(key) else { throw ConfigurationError(key: label(key), problem: "missing", fix: fix) }
        return value
    }

    /// An http:// or https:// URL; plain http:// only to a loopback host, unless `insecureFlag` is true.
    func url(_ key: String, insecureFlag: String) throws(ConfigurationError) -> String {
        let value = try required(key, fix: "Set \(key) to an https:// URL.")
        let insecure = try bool(insecureFlag, default: false)
        guard let components = URLComponents(string: value), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
        else {
            throw ConfigurationError(
                key: label(key), problem: "'\(PeerText.clean(value, limit: 120))' is not an http:// or https:// URL without user information",
                fix: "Set \(key) to a URL such as https://contoso.crm.dynamics.com; credentials go in their own keys.")
        }
        if components.scheme?.lowercased() == "http", !Self.isLoopback(host), !insecure {
            throw ConfigurationError(
                key: label(key), problem: "'\(PeerText.clean(value, limit: 120))' is plain http:// to \(PeerText.clean(host, limit: 80)), which is not this host: the token would cross the network in clear",
                fix: "Use https://, or set \(insecureFlag): true if the network between them is trusted.")
        }
        return value
    }

    /// `localhost`, `::1`, or an IPv4 address in 127.0.0.0/8.
    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        return host == "localhost" || host == "::1" || (octets.count == 4 && octets.allSatisfy { $0 != nil } && octets[0] == 127)
    }

    /// The address to listen on, `fallback` when the key is not set, nil when it is set empty (off).
    func listenAddress(_ key: String, default fallback: ListenAddress?) throws(ConfigurationError) -> ListenAddress? {
        guard let raw = reader.string(forKey: ConfigKey(key)) else { return fallback }
        guard !raw.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        guard let text = try string(key) else { return fallback }
        switch ListenAddress.parse(text) {
        case .success(let address): return address
        case .failure(let reason):
            throw ConfigurationError(
                key: label(key), problem: "'\(PeerText.clean(text, limit: 60))' is not an address to listen on: \(reason)",
                fix: "Set \(key) to ip:port, such as \(fallback.map { "\($0) (loopback only)" } ?? "0.0.0.0:8443"), or to \"\" to turn the endpoint off.")
        }
    }

    func integer(_ key: String, default fallback: Int) throws(ConfigurationError) -> Int {
        guard case .integer(let range) = ConfigSchema.entry(key).kind else { preconditionFailure("\(key) is not an integer") }
        guard let text = try string(key) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                key: label(key), problem: "'\(PeerText.clean(text, limit: 40))' is not a whole number from \(range.lowerBound) to \(range.upperBound)",
                fix: "Set \(key) to a number in that range, or remove it for the default \(fallback).")
        }
        return value
    }

    func bool(_ key: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let text = try string(key) else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            throw ConfigurationError(
                key: label(key), problem: "'\(PeerText.clean(text, limit: 40))' is not true or false",
                fix: "Set \(key) to true or false, or remove it for \(fallback).")
        }
    }

    func choice(_ key: String, default fallback: String) throws(ConfigurationError) -> String {
        guard case .choice(let words) = ConfigSchema.entry(key).kind else { preconditionFailure("\(key) is not a choice") }
        guard let text = try string(key) else { return fallback }
        guard words.contains(text) else {
            throw ConfigurationError(
                key: label(key), problem: "'\(PeerText.clean(text, limit: 40))' is not one of \(words.joined(separator: ", "))",
                fix: "Set \(key) to one of \(words.joined(separator: ", ")), or remove it for \(fallback).")
        }
        return text
    }

    func seconds(_ key: String, default fallback: Double) throws(ConfigurationError) -> Double {
        guard case .seconds(let range) = ConfigSchema.entry(key).kind else { preconditionFailure("\(key) is not seconds") }
        guard let text = try string(key) else { return fallback }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ConfigurationError(
                key: label(key), problem: "'\(PeerText.clean(text, limit: 40))' is not a number of seconds from \(Self.number(range.lowerBound)) to \(Self.number(range.upperBound))",
                fix: "Set \(key) to a number of seconds in that range, or remove it for the default \(Self.number(fallback)).")
        }
        return value
    }

    /// A duration such as `72h`, `90m`, `3d` or a number of seconds, within its range; `0` is allowed (never).
    func duration(_ key: String, default fallback: Double) throws(ConfigurationError) -> Double {
        guard case .duration(let range) = ConfigSchema.entry(key).kind else { preconditionFailure("\(key) is not a duration") }
        guard let text = try string(key) else { return fallback }
        guard let value = DurationText.seconds(text), value.isFinite, value == 0 || range.contains(value) else {
            throw ConfigurationError(
                key: label(key),
                problem: "'\(PeerText.clean(text, limit: 40))' is not 0 or a duration from \(DurationText.age(range.lowerBound)) to \(DurationText.age(range.upperBound))",
                fix: "Set \(key) to a duration such as 72h, 90m or 3d (0 for never), or remove it for the default.")
        }
        return value
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    func file(_ key: String) throws(ConfigurationError) -> String? {
        guard let path = try string(key) else { return nil }
        if let problem = SystemErrorText.readProblem(path: path) {
            throw ConfigurationError(
                key: label(key), problem: "cannot read \(path): \(problem)",
                fix: "Point \(key) at a file the sopd user can read, or remove it.")
        }
        return path
    }

    func http(_ section: String, clientCertificate: Bool = false) throws(ConfigurationError) -> HTTPClient.Configuration {
        var tls = TLSOptions(caFile: try file("\(section).caFile"), caPath: try string("\(section).caPath"))
        if clientCertificate {
            tls.clientCertificateFile = try file("\(section).clientCertificate")
            tls.clientKeyFile = try file("\(section).clientKey")
            tls.clientKeyPassword = try string("\(section).clientKeyPassword")
            if (tls.clientCertificateFile == nil) != (tls.clientKeyFile == nil) {
                throw ConfigurationError(
                    key: "\(section).clientCertificate", problem: "a client certificate needs both the certificate and its key",
                    fix: "Set both \(section).clientCertificate and \(section).clientKey, or neither.")
            }
        }
        return HTTPClient.Configuration(
            connectTimeout: try seconds("\(section).connectTimeoutSeconds", default: 10),
            totalTimeout: try seconds("\(section).timeoutSeconds", default: 60), tls: tls,
            maxResponseBytes: try integer("\(section).maxResponseBytes", default: section == "dataverse" ? 16 << 20 : 2 << 20))
    }

    /// The `dataverse.*` settings.
    func dataverse() throws(ConfigurationError) -> SopdConfiguration.Dataverse {
        SopdConfiguration.Dataverse(
            url: try url("dataverse.url", insecureFlag: "dataverse.allowInsecureHTTP"), auth: try dataverseAuth(),
            http: try http("dataverse"), impersonation: try impersonation(),
            limits: (
                requests: try integer("dataverse.limits.requests", default: 6000),
                windowSeconds: try seconds("dataverse.limits.windowSeconds", default: 300),
                concurrent: try integer("dataverse.limits.concurrent", default: 52)
            ))
    }

    /// Client credentials when `dataverse.clientId` is set, else a fixed token.
    func dataverseAuth() throws(ConfigurationError) -> DataverseAuth {
        guard let clientId = try string("dataverse.clientId") else {
            return .token(
                try required(
                    "dataverse.token",
                    fix: "Set dataverse.clientId (OAuth 2.0 client credentials, preferred), or put a bearer token in $CREDENTIALS_DIRECTORY/dataverse-token (LoadCredential=) or dataverse.token."
                ))
        }
        let (tokenURL, secret) = try clientCredentials("dataverse")
        return .clientCredentials(tokenURL: tokenURL, clientId: clientId, clientSecret: secret)
    }

    /// The token endpoint and client secret of section `section`'s OAuth 2.0 client credentials (its `clientSecret`,
    /// and its `tokenURL` or `tenantId`).
    private func clientCredentials(_ section: String) throws(ConfigurationError) -> (tokenURL: String, secret: String) {
        let secret = try required(
            "\(section).clientSecret",
            fix: "Put the app registration's client secret in $CREDENTIALS_DIRECTORY/\(section)-clientSecret (LoadCredential=) or set \(section).clientSecret.")
        if try string("\(section).tokenURL") != nil {
            return (try url("\(section).tokenURL", insecureFlag: "\(section).allowInsecureHTTP"), secret)
        }
        let tenant = try required(
            "\(section).tenantId",
            fix: "Set \(section).tenantId to the Entra tenant (directory) id, or \(section).tokenURL to the token endpoint.")
        guard tenant.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw ConfigurationError(
                key: label("\(section).tenantId"), problem: "'\(PeerText.clean(tenant, limit: 60))' is not a tenant id or domain",
                fix: "Set \(section).tenantId to the directory id (a GUID) or the tenant's domain, such as contoso.onmicrosoft.com.")
        }
        return (ClientCredentialsTokenSource.tokenURL(tenantId: tenant), secret)
    }

    /// The back office's OAuth 2.0 client credentials, when `backoffice.auth` is `oauth` (the default of
    /// `business-central`), for Business Central's scope.
    func backOfficeOAuth(adapter: SopdConfiguration.BackOffice.Adapter) throws(ConfigurationError) -> OAuthClient? {
        let fallback = if case .businessCentral = adapter { "oauth" } else { "bearer" }
        guard try choice("backoffice.auth", default: fallback) == "oauth" else { return nil }
        let clientId = try required(
            "backoffice.clientId", fix: "Set backoffice.clientId to the client id of the app registration Business Central trusts.")
        let (tokenURL, secret) = try clientCredentials("backoffice")
        return OAuthClient(tokenURL: tokenURL, clientId: clientId, clientSecret: secret, scope: BusinessCentralProfile.scope)
    }

    func impersonation() throws(ConfigurationError) -> Impersonation? {
        let objectId = try guid("dataverse.impersonate.callerObjectId")
        let userId = try guid("dataverse.impersonate.systemUserId")
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

    private func guid(_ key: String) throws(ConfigurationError) -> String? {
        guard let text = try string(key) else { return nil }
        guard UUID(uuidString: text) != nil else {
            throw ConfigurationError(
                key: label(key), problem: "'\(PeerText.clean(text, limit: 60))' is not a GUID",
                fix: "Set \(key) to the id as Entra or Dynamics shows it, such as 00000000-0000-0000-0000-000000000000.")
        }
        return text
    }

    /// Which submitted orders go out (`intake.filter`, its syntax checked) and the extra columns of their documents.
    func intake() throws(ConfigurationError) -> IntakeSettings {
        let filter = try string("intake.filter")
        if let filter, let problem = ODataFilterText.problem(filter) {
            throw ConfigurationError(
                key: label("intake.filter"), problem: "the OData $filter fragment cannot be used: \(problem)",
                fix: "Write a $filter condition on salesorder columns, such as new_channel eq 'web' or totalamount ge 100, or remove intake.filter to send every submitted order.")
        }
        return IntakeSettings(
            filter: filter, extraOrderColumns: try columns("document.extraColumns.order", known: SubmittedOrdersQuery.columns),
            extraLineColumns: try columns("document.extraColumns.lines", known: SubmittedOrdersQuery.lineColumns))
    }

    /// A comma-separated list of Dataverse column logical names, none of them read already (`known`).
    private func columns(_ key: String, known: [String]) throws(ConfigurationError) -> [String] {
        guard let text = try string(key) else { return [] }
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for name in names {
            let shape = name.range(of: "^_?[a-z][a-z0-9_]{0,99}$", options: .regularExpression) != nil
            guard shape, !known.contains(name) else {
                throw ConfigurationError(
                    key: label(key),
                    problem: shape ? "\(name) is in every document already" : "'\(PeerText.clean(name, limit: 60))' is not a column's logical name",
                    fix: "List columns by their logical names, lower case, separated by commas, such as new_channel, new_customerpo (a lookup as _new_region_value).")
            }
        }
        guard names.count <= 50, Set(names).count == names.count else {
            throw ConfigurationError(key: label(key), problem: "it lists a column twice, or more than 50 columns", fix: "List each column once, 50 at most.")
        }
        return names
    }

    /// The webhook receiver: set exactly when the mapping has `inbound.webhook`, HTTPS unless a proxy terminates TLS.
    func webhook(adapter: SopdConfiguration.BackOffice.Adapter) throws(ConfigurationError) -> SopdConfiguration.Webhook? {
        var hooked = false
        if case .httpMapping(let mapping) = adapter { hooked = mapping.inbound.webhook != nil }
        guard let listen = try listenAddress("backoffice.webhook.listen", default: nil) else {
            guard !hooked else {
                throw ConfigurationError(
                    key: "backoffice.webhook.listen", problem: "the mapping has inbound.webhook but sopd has no address to receive it on",
                    fix: "Set backoffice.webhook.listen to ip:port, such as 0.0.0.0:8443, or remove inbound.webhook from the mapping.")
            }
            return nil
        }
        guard hooked else {
            throw ConfigurationError(
                key: label("backoffice.webhook.listen"), problem: "the back office's mapping has no inbound.webhook to receive",
                fix: "Add inbound.webhook to the mapping (backoffice.adapter: http-mapping), or remove backoffice.webhook.listen.")
        }
        let secret = try required(
            "backoffice.webhook.secret",
            fix: "Put the secret shared with the ERP in $CREDENTIALS_DIRECTORY/backoffice-webhook-secret (LoadCredential=) or set backoffice.webhook.secret.")
        guard secret.utf8.count >= 16 else {
            throw ConfigurationError(
                key: label("backoffice.webhook.secret"), problem: "the shared secret is shorter than 16 bytes, too easy to guess",
                fix: "Share a random secret of 32 characters or more with the ERP, such as: openssl rand -hex 32")
        }
        let certificate = try file("backoffice.webhook.tlsCertificate")
        let key = try file("backoffice.webhook.tlsKey")
        switch (certificate, key) {
        case (let certificate?, let key?):
            guard !listen.isIPv6 else {
                throw ConfigurationError(
                    key: label("backoffice.webhook.listen"), problem: "sopd's HTTPS listens on IPv4 addresses only",
                    fix: "Set backoffice.webhook.listen to an IPv4 address, such as 0.0.0.0:8443.")
            }
            return SopdConfiguration.Webhook(listen: listen, secret: secret, tls: (certificate, key))
        case (nil, nil):
            guard try bool("backoffice.webhook.allowInsecureHTTP", default: false) else {
                throw ConfigurationError(
                    key: "backoffice.webhook.tlsCertificate", problem: "the webhook would take the ERP's notifications over plain HTTP",
                    fix: "Set backoffice.webhook.tlsCertificate and backoffice.webhook.tlsKey (PEM), or backoffice.webhook.allowInsecureHTTP: true when a proxy in front terminates TLS.")
            }
            return SopdConfiguration.Webhook(listen: listen, secret: secret, tls: nil)
        default:
            throw ConfigurationError(
                key: label(certificate == nil ? "backoffice.webhook.tlsCertificate" : "backoffice.webhook.tlsKey"),
                problem: "the webhook's certificate and key go together", fix: "Set both backoffice.webhook.tlsCertificate and backoffice.webhook.tlsKey.")
        }
    }

    /// The back office's adapter; an `http-mapping` mapping file is read and checked here, so that its mistakes stop sopd
    /// at start with the line they are on.
    func backOfficeAdapter() throws(ConfigurationError) -> SopdConfiguration.BackOffice.Adapter {
        switch try choice("backoffice.adapter", default: "contract-v1") {
        case "http-mapping":
            guard let path = try file("backoffice.mapping") else {
                throw ConfigurationError(
                    key: "backoffice.mapping", problem: "backoffice.adapter is http-mapping but no mapping file is set",
                    fix: "Set backoffice.mapping to the mapping file's path; docs/adapters.md has a complete example.")
            }
            do throws(MappingError) {
                return .httpMapping(try HTTPMapping.load(path: path))
            } catch {
                throw ConfigurationError(
                    key: label("backoffice.mapping"), problem: "the mapping file has a mistake at \(error)",
                    fix: "Correct that line of the mapping file; docs/adapters.md is the mapping reference.")
            }
        case "business-central":
            do throws(MappingError) {
                return .businessCentral(try BusinessCentralProfile.mapping())
            } catch {
                preconditionFailure("the built-in business-central profile does not load: \(error)")
            }
        default:
            return .contractV1
        }
    }

    /// The token or password of `backoffice.auth` bearer or basic; nil under `oauth`.
    func backOfficeCredentials(oauth: Bool) throws(ConfigurationError) -> BackOfficeCredentials? {
        if oauth { return nil }
        switch try choice("backoffice.auth", default: "bearer") {
        case "basic":
            let user = try required("backoffice.user", fix: "Set backoffice.user to the back-office user name.")
            let password = try required(
                "backoffice.password",
                fix: "Put the password in $CREDENTIALS_DIRECTORY/backoffice-password (LoadCredential=) or set backoffice.password.")
            SecretRegistry.shared.registerBasic(user: user, password: password)
            return .basic(user: user, password: password)
        case "apikey":
            let header = try string("backoffice.apiKeyHeader") ?? "X-API-Key"
            guard !header.isEmpty, header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }),
                header.lowercased() != "authorization"
            else {
                throw ConfigurationError(
                    key: label("backoffice.apiKeyHeader"), problem: "'\(PeerText.clean(header, limit: 60))' is not a header name for an API key",
                    fix: "Set backoffice.apiKeyHeader to the header the ERP reads its API key from, such as X-API-Key (for Authorization, use auth: bearer).")
            }
            return .apiKey(
                header: header,
                key: try required(
                    "backoffice.token",
                    fix: "Put the API key in $CREDENTIALS_DIRECTORY/backoffice-token (LoadCredential=) or set backoffice.token."))
        default:
            return .bearer(
                token: try required(
                    "backoffice.token",
                    fix: "Put the token in $CREDENTIALS_DIRECTORY/backoffice-token (LoadCredential=) or set backoffice.token."))
        }
    }
}

extension ConfigSchema.Entry {
    /// Whether the value is a secret.
    var isSecret: Bool {
        if case .secret = kind { true } else { false }
    }
}
