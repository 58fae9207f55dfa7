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
        guard case .bearer(let token) = configuration.backOffice.credentials else {
            Issue.record("expected bearer credentials")
            return
        }
        #expect(token == "bo-secret")
        #expect(configuration.metricsListen == ListenAddress(host: "127.0.0.1", port: 9464))
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
