import BackOffice
import Daemon
import Dataverse
import Foundation
import HTTPListener
import Journal
import SopdTestSupport
import Testing

@Suite struct ConfigurationLoaderTests {
    private static var exampleFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/sopd.example.yaml").path
    }

    private func write(_ yaml: String) throws -> String {
        let path = try TemporaryDirectory().file("sopd.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theExampleLoadsOnceSecretsArriveAsCredentialFiles() async throws {
        let credentials = try TemporaryDirectory()
        try "dv-secret\n".write(toFile: credentials.file("dataverse-clientSecret"), atomically: true, encoding: .utf8)
        try "bo-secret".write(toFile: credentials.file("backoffice-token"), atomically: true, encoding: .utf8)
        let configuration = try await ConfigurationLoader.load(
            path: Self.exampleFile, environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        #expect(configuration.dataverse.url == "https://contoso.crm.dynamics.com")
        guard case .clientCredentials(let tokenURL, _, let secret) = configuration.dataverse.auth else {
            Issue.record("expected client credentials")
            return
        }
        #expect(secret == "dv-secret")
        #expect(tokenURL == "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token")
        #expect(configuration.sync.batchSize == 100)
        #expect(!configuration.sync.changeTracking)
        #expect(configuration.sync.pageSize == 500)
        #expect(configuration.sync.changesPageSize == 100)
        #expect(configuration.dataverse.impersonation == nil)
        #expect(configuration.journal.url == .sqlite(path: "/var/lib/sopd/journal.sqlite") && configuration.journal.leaseSeconds == 60)
        guard case .bearer(let token)? = configuration.backOffice.credentials else {
            Issue.record("expected bearer credentials")
            return
        }
        #expect(token == "bo-secret")
        #expect(configuration.metricsListen == ListenAddress(host: "127.0.0.1", port: 9464))
    }

    @Test func anAPIKeyGoesInItsOwnHeaderAndAWebhookNeedsALongSecret() async throws {
        let base = "dataverse:\n  url: https://x.crm.dynamics.com\n  token: t-31c9e0\nbackoffice:\n  url: https://erp\n  token: key-51d2e8\n"
        let keyed = try await ConfigurationLoader.load(path: try write(base + "  auth: apikey\n  apiKeyHeader: X-Api-Token\n"))
        let header = try keyed.backOffice.credentials?.header()
        #expect(header?.name == "X-Api-Token" && header?.value == "key-51d2e8")
        let refused = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: try write(base + "  auth: apikey\n  apiKeyHeader: Authorization\n"))
        }
        #expect(refused?.key == "backoffice.apiKeyHeader")
        // The mapping file is written where write() puts YAML: a folder of its own.
        let mapping = try write(
            try PackageFiles.text("docs/examples/fabrikam-erp.yaml") + (try PackageFiles.text("docs/examples/fabrikam-erp-webhook.yaml")))
        let hooked = base + "  adapter: http-mapping\n  mapping: \(mapping)\n  webhook:\n    listen: 127.0.0.1:0\n    allowInsecureHTTP: true\n"
        let short = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: try write(hooked + "    secret: short-secret\n"))
        }
        #expect(short?.key.hasPrefix("backoffice.webhook.secret") == true && short?.description.contains("16 bytes") == true, "\(short?.description ?? "")")
        let long = try await ConfigurationLoader.load(path: try write(hooked + "    secret: a-secret-of-thirty-two-characters\n"))
        #expect(long.backOffice.webhook?.secret == "a-secret-of-thirty-two-characters" && long.backOffice.webhook?.tls == nil)
    }

    @Test func theMonitoringEndpointIsOnLoopbackByDefaultAndOffWhenEmpty() async throws {
        let base = "dataverse:\n  url: https://x.crm.dynamics.com\n  token: t-31c9e0\nbackoffice:\n  url: https://erp\n  token: b-51d2e8\n"
        let unset = try await ConfigurationLoader.load(path: try write(base))
        #expect(unset.metricsListen == ConfigurationLoader.defaultMetricsListen)
        #expect(unset.metricsListen?.isLoopback == true)
        let off = try await ConfigurationLoader.load(path: try write(base + "metrics:\n  listen: \"\"\n"))
        #expect(off.metricsListen == nil)
        let offByEnvironment = try await ConfigurationLoader.load(path: try write(base), environment: ["SOPD_METRICS_LISTEN": ""])
        #expect(offByEnvironment.metricsListen == nil)
        let ipv6 = try await ConfigurationLoader.load(path: try write(base + "metrics:\n  listen: \"[::1]:9100\"\n"))
        #expect(ipv6.metricsListen == ListenAddress(host: "::1", port: 9100))
        #expect(ipv6.metricsListen?.description == "[::1]:9100")
        let everywhere = try await ConfigurationLoader.load(path: try write(base + "metrics:\n  listen: 0.0.0.0:9464\n"))
        #expect(everywhere.metricsListen?.isLoopback == false)
    }

    @Test func environmentVariablesOverrideTheFile() async throws {
        let configuration = try await ConfigurationLoader.load(
            path: Self.exampleFile,
            environment: [
                "SOPD_DATAVERSE_CLIENT_SECRET": "t", "SOPD_BACKOFFICE_TOKEN": "b", "SOPD_DATAVERSE_PAGE_SIZE": "25",
                "SOPD_BACKOFFICE_URL": "http://127.0.0.1:9/api",
                "SOPD_DATAVERSE_IMPERSONATE_CALLER_OBJECT_ID": "ad000000-0000-0000-0000-000000000003",
            ])
        #expect(configuration.sync.pageSize == 25)
        #expect(configuration.dataverse.impersonation == .callerObjectId("ad000000-0000-0000-0000-000000000003"))
        #expect(configuration.backOffice.url == "http://127.0.0.1:9/api")
    }

    @Test func aMissingKeyIsNamedWithItsFix() async throws {
        let path = try write("dataverse:\n  url: https://x.crm.dynamics.com\nbackoffice:\n  url: https://erp\n")
        let error = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: path, environment: [:])
        }
        #expect(error?.key == "dataverse.token")
        #expect(error?.description.contains("CREDENTIALS_DIRECTORY") == true)
    }

    @Test(arguments: [
        ("dataverse:\n  url: not a url\n  token: t\nbackoffice:\n  url: https://erp\n  token: b\n", "dataverse.url"),
        ("dataverse:\n  url: https://x\n  token: t\n  pageSize: 9000\nbackoffice:\n  url: https://erp\n  token: b\n", "dataverse.pageSize"),
        ("dataverse:\n  url: https://x\n  token: t\nbackoffice:\n  url: https://erp\n  auth: kerberos\n", "backoffice.auth"),
        ("dataverse:\n  url: https://x\n  token: t\nbackoffice:\n  url: https://erp\n  token: b\n  clientCertificate: /nonexistent.pem\n", "backoffice.clientCertificate"),
        ("dataverse:\n  url: https://x\n  token: t\nbackoffice:\n  url: https://erp\n  token: b\nlog:\n  level: loud\n", "log.level"),
        ("dataverse: [unclosed\n", "--config"),
        ("dataverse:\n  url: https://x\n  token: t\n  impersonate:\n    callerObjectId: ad000000-0000-0000-0000-000000000003\n    systemUserId: ad000000-0000-0000-0000-000000000004\nbackoffice:\n  url: https://erp\n  token: b\n", "dataverse.impersonate"),
        ("dataverse:\n  url: https://x\n  token: t\nbackoffice:\n  url: https://erp\n  token: b\n  changesPageSize: 0\n", "backoffice.changesPageSize"),
    ])
    func aWrongValueIsNamed(yaml: String, key: String) async throws {
        let path = try write(yaml)
        let error = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: path, environment: [:])
        }
        #expect(error?.key == key)
    }

    @Test func clientCredentialsComeFromTheTenantOrATokenURL() async throws {
        let credentials = try TemporaryDirectory()
        try "s3cret".write(toFile: credentials.file("dataverse-clientSecret"), atomically: true, encoding: .utf8)
        let path = try write("dataverse:\n  url: https://contoso.crm.dynamics.com\n  clientId: app-1\n  tenantId: tenant-9\nbackoffice:\n  url: https://erp\n  token: b\n")
        let configuration = try await ConfigurationLoader.load(path: path, environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        guard case .clientCredentials(let url, let clientId, let secret) = configuration.dataverse.auth else {
            Issue.record("expected client credentials")
            return
        }
        #expect(url == "https://login.microsoftonline.com/tenant-9/oauth2/v2.0/token")
        #expect(clientId == "app-1")
        #expect(secret == "s3cret")
        #expect(!configuration.dataverse.auth.description.contains("s3cret"))
        let missing = try write("dataverse:\n  url: https://contoso.crm.dynamics.com\n  clientId: app-1\n  clientSecret: x\nbackoffice:\n  url: https://erp\n  token: b\n")
        let error = await #expect(throws: ConfigurationError.self) { try await ConfigurationLoader.load(path: missing, environment: [:]) }
        #expect(error?.key == "dataverse.tenantId")
    }

    @Test func aMissingFileIsAConfigurationError() async {
        let error = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: "/nonexistent/sopd.yaml", environment: [:])
        }
        #expect(error?.key == "--config")
        #expect(error?.problem == "cannot read /nonexistent/sopd.yaml: No such file or directory")
    }

    @Test func unreadableFilesAndFoldersSayWhyInTheSystemsWords() async throws {
        let folder = try TemporaryDirectory()
        let asFolder = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: folder.path, environment: [:])
        }
        #expect(asFolder?.problem == "cannot read \(folder.path): Is a directory")
        let path = try write("dataverse:\n  url: https://x.crm.dynamics.com\nbackoffice:\n  url: https://erp\n")
        let missing = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: path, environment: [:], credentialsDirectory: "/nonexistent/credentials")
        }
        #expect(missing?.key == "--credentials-dir")
        #expect(missing?.problem == "cannot read the folder /nonexistent/credentials: No such file or directory")
        let fromEnvironment = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: path, environment: ["CREDENTIALS_DIRECTORY": "/nonexistent/credentials"])
        }
        #expect(fromEnvironment?.key == "CREDENTIALS_DIRECTORY")
        #expect(!(fromEnvironment?.description.contains("NSCocoaErrorDomain") ?? true))
    }

    @Test func theSOPCommandsNeedOnlyTheDataverseSettings() async throws {
        let path = try write("dataverse:\n  url: https://x.crm.dynamics.com\n  token: t\nbackoffice:\n  url: https://erp\n")
        let dataverse = try await ConfigurationLoader.loadDataverse(path: path, environment: [:])
        #expect(dataverse.url == "https://x.crm.dynamics.com")
        let whole = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: path, environment: [:])
        }
        #expect(whole?.key == "backoffice.token", "the daemon needs the back office's token; sopd sop … does not")
    }

    @Test func secretsNeverAppearInErrors() async throws {
        let path = try write("dataverse:\n  url: https://x\n  token: sup3rs3cret\nbackoffice:\n  url: ftp://erp\n  token: b\n")
        let error = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader.load(path: path, environment: [:])
        }
        #expect(error?.key == "backoffice.url")
        #expect(error?.description.contains("sup3rs3cret") == false)
    }
}

/// `journal.*`: a SQLite file (`journal.url` or the older `journal.path`, relative or not) or a PostgreSQL URL, refused
/// with the key and the fix when it holds a password, names an unknown option, or comes with `journal.path`.
@Suite struct JournalConfigurationTests {
    private let peers = [
        "dataverse.url": "http://127.0.0.1:1", "dataverse.token": "t", "backoffice.url": "http://127.0.0.1:2", "backoffice.token": "b",
    ]

    private func journal(_ values: [String: String]) throws(ConfigurationError) -> JournalSettings {
        try ConfigurationLoader.configuration(values: peers.merging(values) { _, new in new }).journal
    }

    @Test func aJournalIsAFileOrAPostgreSQLDatabase() throws {
        #expect(try journal([:]).url == .sqlite(path: "/var/lib/sopd/journal.sqlite"))
        #expect(try journal(["journal.path": ".sopd/demo/journal.sqlite"]).url == .sqlite(path: ".sopd/demo/journal.sqlite"))
        #expect(try journal(["journal.url": "sqlite:///srv/sopd/journal.sqlite"]).url == .sqlite(path: "/srv/sopd/journal.sqlite"))
        let shared = try journal([
            "journal.url": "postgres://sopd@db.example:6432/sync?sslmode=verify-full&schema=sopd", "journal.password": "pw",
            "journal.leaseSeconds": "30", "journal.hostName": "sopd-2",
        ])
        guard case .postgres(let target) = shared.url else {
            Issue.record("expected PostgreSQL, got \(shared.url)")
            return
        }
        #expect(target.host == "db.example" && target.port == 6432 && target.user == "sopd" && target.database == "sync")
        #expect(target.tls == .verifyFull && target.schema == "sopd" && target.description == "postgres://sopd@db.example:6432/sync?schema=sopd")
        #expect(shared.password == "pw" && shared.leaseSeconds == 30 && shared.hostName == "sopd-2" && shared.owner == "sopd-2:\(getpid())")
    }

    @Test func aBadJournalNamesItsKeyAndTheFix() {
        let cases: [([String: String], String)] = [
            (["journal.url": "postgres://sopd:secret@db/sopd"], "holds a password"),
            (["journal.url": "postgres://sopd@db/sopd?sslmode=maybe"], "sslmode 'maybe'"),
            (["journal.url": "postgres://sopd@db/sopd?pool=3"], "'pool' is not an option"),
            (["journal.url": "mysql://sopd@db/sopd"], "'mysql' is not a journal"),
            (["journal.url": "sqlite:///a", "journal.path": "/b"], "together with journal.path"),
            (["journal.url": "sqlite://relative/journal.sqlite"], "three slashes"),
            (["journal.url": "postgres://sopd:secret@db:port/sopd"], "is no URL"),
            (["journal.leaseSeconds": "5", "journal.timeoutSeconds": "10"], "less than twice journal.timeoutSeconds"),
        ]
        for (values, problem) in cases {
            let error = #expect(throws: ConfigurationError.self) { try journal(values) }
            #expect(error?.description.contains(problem) == true, "\(values): \(String(describing: error))")
            #expect(error?.description.contains("journal.") == true)
            #expect(error?.description.contains("secret") == false, "the password does not show")
        }
    }
}
