import Foundation

/// Every configuration key sopd reads, with its kind and range: the one list from which unknown keys
/// are found ("did you mean …"), environment variable and credential file names are derived, and
/// values are checked. `deploy/sopd.example.yaml` documents each key.
public enum ConfigSchema {
    /// What a key holds.
    public enum Kind: Sendable {
        /// Free text, one line.
        case text
        /// A secret (masked in every log line and peer text once read).
        case secret
        /// An `http://` or `https://` URL.
        case url
        /// A readable file.
        case file
        /// true or false.
        case bool
        /// One of the listed words.
        case choice([String])
        /// A whole number in the range.
        case integer(ClosedRange<Int>)
        /// A number of seconds in the range.
        case seconds(ClosedRange<Double>)
        /// A duration (`72h`, `90m`, `3d`, or seconds) in the range, or 0 for never.
        case duration(ClosedRange<Double>)
        /// An `ip:port` to listen on (`[ip6]:port` for IPv6), or empty for off.
        case listenAddress
    }

    /// One key.
    public struct Entry: Sendable {
        /// The key, such as `dataverse.pageSize`.
        public var key: String
        /// What it holds.
        public var kind: Kind
    }

    /// Every key.
    public static let entries: [Entry] = [
        Entry(key: "dataverse.url", kind: .url),
        Entry(key: "dataverse.allowInsecureHTTP", kind: .bool),
        Entry(key: "dataverse.token", kind: .secret),
        Entry(key: "dataverse.clientId", kind: .text),
        Entry(key: "dataverse.clientSecret", kind: .secret),
        Entry(key: "dataverse.tenantId", kind: .text),
        Entry(key: "dataverse.tokenURL", kind: .url),
        Entry(key: "dataverse.pageSize", kind: .integer(1...5000)),
        Entry(key: "dataverse.batchSize", kind: .integer(1...1000)),
        Entry(key: "dataverse.changeTracking", kind: .bool),
        Entry(key: "dataverse.maxPagesPerCycle", kind: .integer(1...100_000)),
        Entry(key: "dataverse.maxResponseBytes", kind: .integer(65_536...1 << 30)),
        Entry(key: "dataverse.limits.requests", kind: .integer(1...1_000_000)),
        Entry(key: "dataverse.limits.windowSeconds", kind: .seconds(1...3600)),
        Entry(key: "dataverse.limits.concurrent", kind: .integer(1...1000)),
        Entry(key: "dataverse.connectTimeoutSeconds", kind: .seconds(0.1...300)),
        Entry(key: "dataverse.timeoutSeconds", kind: .seconds(1...3600)),
        Entry(key: "dataverse.caFile", kind: .file),
        Entry(key: "dataverse.caPath", kind: .text),
        Entry(key: "dataverse.impersonate.callerObjectId", kind: .text),
        Entry(key: "dataverse.impersonate.systemUserId", kind: .text),
        Entry(key: "backoffice.url", kind: .url),
        Entry(key: "backoffice.adapter", kind: .choice(["contract-v1", "http-mapping", "business-central"])),
        Entry(key: "backoffice.mapping", kind: .file),
        Entry(key: "backoffice.webhook.listen", kind: .listenAddress),
        Entry(key: "backoffice.webhook.secret", kind: .secret),
        Entry(key: "backoffice.webhook.tlsCertificate", kind: .file),
        Entry(key: "backoffice.webhook.tlsKey", kind: .file),
        Entry(key: "backoffice.webhook.allowInsecureHTTP", kind: .bool),
        Entry(key: "backoffice.allowInsecureHTTP", kind: .bool),
        Entry(key: "backoffice.auth", kind: .choice(["bearer", "basic", "oauth", "apikey"])),
        Entry(key: "backoffice.apiKeyHeader", kind: .text),
        Entry(key: "backoffice.clientId", kind: .text),
        Entry(key: "backoffice.clientSecret", kind: .secret),
        Entry(key: "backoffice.tenantId", kind: .text),
        Entry(key: "backoffice.tokenURL", kind: .url),
        Entry(key: "backoffice.token", kind: .secret),
        Entry(key: "backoffice.user", kind: .text),
        Entry(key: "backoffice.password", kind: .secret),
        Entry(key: "backoffice.clientCertificate", kind: .file),
        Entry(key: "backoffice.clientKey", kind: .file),
        Entry(key: "backoffice.clientKeyPassword", kind: .secret),
        Entry(key: "backoffice.caFile", kind: .file),
        Entry(key: "backoffice.caPath", kind: .text),
        Entry(key: "backoffice.connectTimeoutSeconds", kind: .seconds(0.1...300)),
        Entry(key: "backoffice.timeoutSeconds", kind: .seconds(1...3600)),
        Entry(key: "backoffice.changesPageSize", kind: .integer(1...1000)),
        Entry(key: "backoffice.maxEventsPerCycle", kind: .integer(1...1_000_000)),
        Entry(key: "backoffice.maxResponseBytes", kind: .integer(65_536...1 << 30)),
        Entry(key: "intake.filter", kind: .text),
        Entry(key: "document.extraColumns.order", kind: .text),
        Entry(key: "document.extraColumns.lines", kind: .text),
        Entry(key: "sync.intervalSeconds", kind: .seconds(1...86_400)),
        Entry(key: "sync.probeSeconds", kind: .seconds(0...3600)),
        Entry(key: "sync.inboundIntervalSeconds", kind: .seconds(1...86_400)),
        Entry(key: "sync.retrySweepSeconds", kind: .seconds(1...3600)),
        Entry(key: "sync.stopTimeoutSeconds", kind: .seconds(1...3600)),
        Entry(key: "sync.maxInFlight", kind: .integer(1...256)),
        Entry(key: "sync.adaptiveInFlight", kind: .bool),
        Entry(key: "sync.retry.baseSeconds", kind: .seconds(0.001...3600)),
        Entry(key: "sync.retry.capSeconds", kind: .seconds(0.001...86_400)),
        Entry(key: "sync.retry.giveUpAfter", kind: .duration(60...365 * 86_400)),
        Entry(key: "sync.returnRefusedOrders", kind: .bool),
        Entry(key: "journal.url", kind: .text),
        Entry(key: "journal.path", kind: .text),
        Entry(key: "journal.password", kind: .secret),
        Entry(key: "journal.leaseSeconds", kind: .seconds(2...3600)),
        Entry(key: "journal.timeoutSeconds", kind: .seconds(1...300)),
        Entry(key: "journal.hostName", kind: .text),
        Entry(key: "journal.retentionDays", kind: .integer(1...3650)),
        Entry(key: "status.staleAfterIntervals", kind: .integer(1...10_000)),
        Entry(key: "metrics.listen", kind: .listenAddress),
        Entry(key: "log.level", kind: .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"])),
    ]

    /// Keys sopd once read and reads no more, with what replaces them.
    public static let removed: [String: String] = [
        "sync.retry.maxAttempts":
            "sopd no longer gives up after a number of attempts: remove it, and set sync.retry.giveUpAfter (a duration, default 72h) instead"
    ]

    /// The entry of `key`; every key sopd reads is listed.
    public static func entry(_ key: String) -> Entry {
        guard let entry = entries.first(where: { $0.key == key }) else {
            preconditionFailure("\(key) is read but not listed in ConfigSchema.entries")
        }
        return entry
    }

    /// The environment variable that sets `key`: `SOPD_` and the key in upper case, dots and camelCase
    /// boundaries as underscores (`dataverse.pageSize` → `SOPD_DATAVERSE_PAGE_SIZE`), as swift-configuration reads it.
    public static func environmentName(_ key: String) -> String {
        var name = ""
        var previous: Character?
        for character in key {
            if character == "." {
                name += "_"
            } else {
                if let previous, previous.isLowercase, character.isUppercase { name += "_" }
                name += character.uppercased()
            }
            previous = character == "." ? nil : character
        }
        return "SOPD_" + name
    }

    /// The file in `$CREDENTIALS_DIRECTORY` that sets `key`: the key with dots as dashes.
    public static func credentialName(_ key: String) -> String {
        key.replacingOccurrences(of: ".", with: "-")
    }
}
