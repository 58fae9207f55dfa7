import ChildProcess
import Foundation
import SopdTestSupport
import Testing

/// `sopd config check` on malformed configurations, through the built binary: each exits 78 (EX_CONFIG)
/// with one line naming the key (or the variable or file that set it), the problem and the fix, and
/// never shows a secret.
@Suite struct MalformedConfigurationTests {
    /// One malformed configuration: keys changed in a valid file (nil removes one), or a whole file;
    /// environment variables; credential files.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var keys: [String: String?] = [:]
        var file: String?
        var environment: [String: String] = [:]
        var credentials: [String: String] = [:]
        /// What the error line must name, and say.
        var key: String
        var problem: String

        var testDescription: String { name }
    }

    static let secrets = ["dv-token-7f3a9c", "bo-token-51d2e8"]

    static let valid: [String: String] = [
        "dataverse.url": "https://contoso.crm.dynamics.com", "dataverse.token": secrets[0],
        "backoffice.url": "https://erp.example.com/api", "backoffice.token": secrets[1],
        "journal.path": "/tmp/sopd-config-check/journal.sqlite",
    ]

    static let integerKeys = [
        "dataverse.pageSize": 1...5000, "dataverse.batchSize": 1...1000, "dataverse.maxPagesPerCycle": 1...100_000,
        "dataverse.maxResponseBytes": 65_536...1 << 30, "dataverse.limits.requests": 1...1_000_000,
        "dataverse.limits.concurrent": 1...1000, "backoffice.changesPageSize": 1...1000,
        "backoffice.maxEventsPerCycle": 1...1_000_000, "backoffice.maxResponseBytes": 65_536...1 << 30,
        "sync.maxInFlight": 1...256, "journal.retentionDays": 1...3650, "status.staleAfterIntervals": 1...10_000,
    ]

    static let secondsKeys = [
        "dataverse.connectTimeoutSeconds", "dataverse.timeoutSeconds", "dataverse.limits.windowSeconds",
        "backoffice.connectTimeoutSeconds", "backoffice.timeoutSeconds", "sync.intervalSeconds",
        "sync.inboundIntervalSeconds", "sync.retrySweepSeconds", "sync.stopTimeoutSeconds", "sync.retry.baseSeconds",
        "sync.retry.capSeconds",
    ]

    static let cases: [Case] = {
        var cases: [Case] = []
        for (key, range) in integerKeys.sorted(by: { $0.key < $1.key }) {
            for value in ["\(range.lowerBound - 1)", "\(range.upperBound + 1)", "99999999999999999999", "abc", "1.5", "1e3"] {
                cases.append(Case(name: "\(key) = \(value)", keys: [key: value], key: key, problem: "is not a whole number"))
            }
        }
        for key in secondsKeys {
            for value in ["0", "-5", "1e16", "1e30", "abc", "nan", "inf"] {
                cases.append(Case(name: "\(key) = \(value)", keys: [key: value], key: key, problem: "is not a number of seconds"))
            }
        }
        for value in ["-1", "0.5", "3601", "abc", "nan"] {
            let problem = value == "0.5" ? "would spend the Dataverse request budget" : "is not a number of seconds"
            cases.append(Case(name: "sync.probeSeconds = \(value)", keys: ["sync.probeSeconds": value], key: "sync.probeSeconds", problem: problem))
        }
        for value in ["abc", "1e30", "30s", "-1h", "400d"] {
            cases.append(
                Case(name: "sync.retry.giveUpAfter = \(value)", keys: ["sync.retry.giveUpAfter": value], key: "sync.retry.giveUpAfter", problem: "is not 0 or a duration"))
        }
        for key in ["dataverse.changeTracking", "sync.returnRefusedOrders", "dataverse.allowInsecureHTTP", "backoffice.allowInsecureHTTP"] {
            cases.append(Case(name: "\(key) = maybe", keys: [key: "maybe"], key: key, problem: "is not true or false"))
        }
        cases += [
            Case(name: "unknown dataverse.pagesize", keys: ["dataverse.pagesize": "50"], key: "dataverse.pagesize", problem: "Did you mean dataverse.pageSize?"),
            Case(name: "unknown sync.retry.maxAttempt", keys: ["sync.retry.maxAttempt": "5"], key: "sync.retry.maxAttempt", problem: "unknown key"),
            Case(name: "unknown sync.intervalSecs", keys: ["sync.intervalSecs": "5"], key: "sync.intervalSecs", problem: "Did you mean sync.intervalSeconds?"),
            Case(name: "unknown top-level intervalSecs", keys: ["intervalSecs": "5"], key: "intervalSecs", problem: "unknown key"),
            Case(name: "unknown dataverse.tokenUrl", keys: ["dataverse.tokenUrl": "https://x"], key: "dataverse.tokenUrl", problem: "Did you mean dataverse.tokenURL?"),
            Case(name: "unknown backoffice.tokn", keys: ["backoffice.tokn": "x"], key: "backoffice.tokn", problem: "Did you mean backoffice.token?"),
            Case(name: "unknown journal.pth", keys: ["journal.pth": "/tmp/j"], key: "journal.pth", problem: "Did you mean journal.path?"),
            Case(name: "unknown log.lvl", keys: ["log.lvl": "info"], key: "log.lvl", problem: "Did you mean log.level?"),
            Case(name: "unknown backoffice.changePageSize", keys: ["backoffice.changePageSize": "5"], key: "backoffice.changePageSize", problem: "Did you mean backoffice.changesPageSize?"),
            Case(name: "unknown section metrics", keys: ["metrix.listen": "x"], key: "metrix.listen", problem: "unknown key"),
            Case(name: "removed sync.retry.maxAttempts", keys: ["sync.retry.maxAttempts": "5"], key: "sync.retry.maxAttempts", problem: "sync.retry.giveUpAfter"),
            Case(name: "log.level loud", keys: ["log.level": "loud"], key: "log.level", problem: "is not one of"),
            Case(name: "backoffice.auth kerberos", keys: ["backoffice.auth": "kerberos"], key: "backoffice.auth", problem: "is not one of"),
            Case(name: "dataverse.url not a URL", keys: ["dataverse.url": "not a url"], key: "dataverse.url", problem: "is not an http:// or https:// URL"),
            Case(name: "backoffice.url ftp", keys: ["backoffice.url": "ftp://erp.example.com"], key: "backoffice.url", problem: "is not an http:// or https:// URL"),
            Case(name: "backoffice.url with user info", keys: ["backoffice.url": "https://sopd:pw@erp.example.com"], key: "backoffice.url", problem: "without user information"),
            Case(name: "backoffice.url plain http to another host", keys: ["backoffice.url": "http://erp.example.com/api"], key: "backoffice.url", problem: "plain http://"),
            Case(name: "dataverse.url plain http to another host", keys: ["dataverse.url": "http://contoso.crm.dynamics.com"], key: "dataverse.url", problem: "dataverse.allowInsecureHTTP: true"),
            Case(name: "dataverse.tokenURL plain http", keys: ["dataverse.token": nil, "dataverse.clientId": "app", "dataverse.clientSecret": "cs-4e1f0b2a", "dataverse.tokenURL": "http://login.example.com/token"], key: "dataverse.tokenURL", problem: "plain http://"),
            Case(name: "dataverse.url missing", keys: ["dataverse.url": nil], key: "dataverse.url", problem: "missing"),
            Case(name: "dataverse.url empty", keys: ["dataverse.url": ""], key: "dataverse.url", problem: "is empty"),
            Case(name: "journal.path empty", keys: ["journal.path": ""], key: "journal.path", problem: "is empty"),
            Case(name: "backoffice.token empty", keys: ["backoffice.token": "  "], key: "backoffice.token", problem: "is empty"),
            Case(name: "backoffice.token missing", keys: ["backoffice.token": nil], key: "backoffice.token", problem: "missing"),
            Case(name: "basic without password", keys: ["backoffice.auth": "basic", "backoffice.user": "sopd"], key: "backoffice.password", problem: "missing"),
            Case(name: "basic without user", keys: ["backoffice.auth": "basic", "backoffice.password": "pw-93b1c7"], key: "backoffice.user", problem: "missing"),
            Case(name: "client id without secret", keys: ["dataverse.token": nil, "dataverse.clientId": "app", "dataverse.tenantId": "t"], key: "dataverse.clientSecret", problem: "missing"),
            Case(name: "client id without tenant", keys: ["dataverse.token": nil, "dataverse.clientId": "app", "dataverse.clientSecret": "cs-4e1f0b2a"], key: "dataverse.tenantId", problem: "missing"),
            Case(name: "tenant id with a slash", keys: ["dataverse.token": nil, "dataverse.clientId": "app", "dataverse.clientSecret": "cs-4e1f0b2a", "dataverse.tenantId": "evil.com/x?"], key: "dataverse.tenantId", problem: "is not a tenant id"),
            Case(name: "impersonation not a GUID", keys: ["dataverse.impersonate.callerObjectId": "abc"], key: "dataverse.impersonate.callerObjectId", problem: "is not a GUID"),
            Case(name: "impersonation both", keys: ["dataverse.impersonate.callerObjectId": "ad000000-0000-0000-0000-000000000003", "dataverse.impersonate.systemUserId": "ad000000-0000-0000-0000-000000000004"], key: "dataverse.impersonate", problem: "both"),
            Case(name: "caFile missing", keys: ["dataverse.caFile": "/nonexistent/ca.pem"], key: "dataverse.caFile", problem: "cannot read"),
            Case(name: "client certificate without key", keys: ["backoffice.clientCertificate": "/etc/hostname"], key: "backoffice.clientCertificate", problem: "needs both"),
            Case(name: "token with CR LF (header injection)", keys: ["backoffice.token": "tok\r\nX-Injected: yes"], key: "backoffice.token", problem: "control character"),
            Case(name: "dataverse token with NUL", keys: ["dataverse.token": "tok\u{0}en-abc"], key: "dataverse.token", problem: "control character"),
            Case(name: "user with LF", keys: ["backoffice.auth": "basic", "backoffice.user": "sopd\nX: y", "backoffice.password": "pw-93b1c7"], key: "backoffice.user", problem: "control character"),
            Case(name: "YAML syntax", file: "dataverse: [unclosed\n", key: "--config", problem: "is not valid YAML"),
            Case(name: "YAML list", file: "- a\n- b\n", key: "--config", problem: "is not a YAML mapping"),
            Case(name: "environment: unknown variable", environment: ["SOPD_SYNC_INTERVAL_SECS": "5"], key: "SOPD_SYNC_INTERVAL_SECS", problem: "Did you mean SOPD_SYNC_INTERVAL_SECONDS?"),
            Case(name: "environment: bad page size", environment: ["SOPD_DATAVERSE_PAGE_SIZE": "abc"], key: "SOPD_DATAVERSE_PAGE_SIZE (environment), for dataverse.pageSize", problem: "is not a whole number"),
            Case(name: "environment: empty journal path", environment: ["SOPD_JOURNAL_PATH": ""], key: "SOPD_JOURNAL_PATH (environment), for journal.path", problem: "is empty"),
            Case(name: "environment: huge timeout", environment: ["SOPD_BACKOFFICE_TIMEOUT_SECONDS": "1e16"], key: "SOPD_BACKOFFICE_TIMEOUT_SECONDS", problem: "is not a number of seconds"),
            Case(name: "environment: token with CR LF", environment: ["SOPD_BACKOFFICE_TOKEN": "tok\r\nX-Injected: yes"], key: "SOPD_BACKOFFICE_TOKEN", problem: "control character"),
            Case(name: "environment: removed maxAttempts", environment: ["SOPD_SYNC_RETRY_MAX_ATTEMPTS": "3"], key: "SOPD_SYNC_RETRY_MAX_ATTEMPTS", problem: "no longer read"),
            Case(name: "credentials: a misspelled file is not read", keys: ["backoffice.token": nil], credentials: ["backoffice-tokn": "bo-token-51d2e8"], key: "backoffice.token", problem: "missing"),
            Case(name: "plain http to a host that only starts like loopback", keys: ["backoffice.url": "http://127.attacker.example/api"], key: "backoffice.url", problem: "plain http://"),
            Case(name: "credentials: token with a line break inside", keys: ["backoffice.token": nil], credentials: ["backoffice-token": "tok\nX-Injected: yes\n"], key: "backoffice-token, for backoffice.token", problem: "control character"),
            Case(name: "credentials: empty secret file", keys: ["dataverse.token": nil], credentials: ["dataverse-token": "\n"], key: "dataverse-token, for dataverse.token", problem: "is empty"),
            Case(name: "metrics.listen host name", keys: ["metrics.listen": "localhost:9464"], key: "metrics.listen", problem: "is not an IP address"),
            Case(name: "metrics.listen without port", keys: ["metrics.listen": "127.0.0.1"], key: "metrics.listen", problem: "write the address as ip:port"),
            Case(name: "metrics.listen port too big", keys: ["metrics.listen": "127.0.0.1:70000"], key: "metrics.listen", problem: "the port must be a number from 0 to 65535"),
            Case(name: "metrics.listen IPv6 without brackets", keys: ["metrics.listen": "::1:9464"], key: "metrics.listen", problem: "write the address as ip:port"),
            Case(name: "metrics.listen without host", keys: ["metrics.listen": ":9464"], key: "metrics.listen", problem: "the address has no host"),
            Case(name: "metrics.listen bad IPv4", keys: ["metrics.listen": "127.0.0.300:9464"], key: "metrics.listen", problem: "is not an IP address"),
            Case(name: "environment: metrics.listen with a scheme", environment: ["SOPD_METRICS_LISTEN": "http://127.0.0.1:9464"], key: "SOPD_METRICS_LISTEN (environment), for metrics.listen", problem: "is not an address to listen on"),
        ]
        return cases
    }()

    /// The YAML for dotted `keys`, nested; every value double-quoted, escapes included.
    static func yaml(_ keys: [String: String]) -> String {
        var lines: [String] = []
        var written: Set<String> = []
        for key in keys.keys.sorted() {
            let parts = key.split(separator: ".").map(String.init)
            for depth in 0..<parts.count - 1 {
                let section = parts[0...depth].joined(separator: ".")
                if written.insert(section).inserted {
                    lines.append(String(repeating: "  ", count: depth) + parts[depth] + ":")
                }
            }
            let value = keys[key]!.unicodeScalars.map { scalar -> String in
                switch scalar {
                case "\"": "\\\""
                case "\\": "\\\\"
                case _ where scalar.value < 0x20: String(format: "\\x%02x", scalar.value)
                default: String(scalar)
                }
            }.joined()
            lines.append(String(repeating: "  ", count: parts.count - 1) + parts.last! + ": \"\(value)\"")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func thereAreAtLeastAHundredCases() {
        #expect(Self.cases.count >= 100)
    }

    @Test func theValidConfigurationPasses() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sopd.yaml")
        try Self.yaml(Self.valid).write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = try await onDispatchQueue { try BuiltProcess.run("sopd", ["config", "check", "--config", path]) }
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("configuration valid"))
    }

    /// Every case, one after the other: each process holds two Dispatch threads (its output's readers),
    /// and two hundred at once would hold more than libdispatch gives a process.
    @Test func aMalformedConfigurationExits78NamingTheKeyAndTheFix() async throws {
        for malformed in Self.cases { try await check(malformed) }
    }

    private func check(_ malformed: Case) async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("sopd.yaml")
        var keys = Self.valid
        for (key, value) in malformed.keys { keys[key] = value }
        try (malformed.file ?? Self.yaml(keys)).write(toFile: path, atomically: true, encoding: .utf8)
        var environment = malformed.environment
        if !malformed.credentials.isEmpty {
            let credentials = try TemporaryDirectory()
            for (name, content) in malformed.credentials {
                try content.write(toFile: credentials.file(name), atomically: true, encoding: .utf8)
            }
            environment["CREDENTIALS_DIRECTORY"] = credentials.path
        }
        let variables = environment
        let outcome = try await onDispatchQueue {
            try BuiltProcess.run("sopd", ["config", "check", "--config", path], environment: variables)
        }
        #expect(outcome.status == 78, "\(malformed.name): \(outcome.standardError)")
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(outcome.standardError)")
        let text = outcome.standardError
        #expect(text.hasPrefix("sopd: configuration error: "), "\(text)")
        #expect(text.contains(malformed.key), "names \(malformed.key): \(text)")
        #expect(text.contains(malformed.problem), "says \(malformed.problem): \(text)")
        for secret in Self.secrets + ["cs-4e1f0b2a", "pw-93b1c7", "X-Injected"] {
            #expect(!text.contains(secret), "shows a secret: \(text)")
        }
    }
}
