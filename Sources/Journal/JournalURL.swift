import Foundation

/// Where the journal is, as `journal.url` gives it: `sqlite:///var/lib/sopd/journal.sqlite` (or a bare path), or
/// `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=…&sslrootcert=…&schema=…]`, the password apart (it is a secret: the
/// `journal.password` setting, from the credentials directory). Pure.
public enum JournalURL: Sendable, Equatable {
    /// A SQLite file of this host.
    case sqlite(path: String)
    /// A PostgreSQL database several hosts share.
    case postgres(PostgresTarget)

    /// A PostgreSQL server and database, and how to reach it.
    public struct PostgresTarget: Sendable, Equatable {
        /// The server's host name or address.
        public var host: String
        /// Its port.
        public var port: Int
        /// The role sopd logs in as.
        public var user: String
        /// The database.
        public var database: String
        /// The schema of the journal's tables (`public` when not given).
        public var schema: String?
        /// TLS, as libpq's `sslmode` names it.
        public var tls: TLSMode
        /// The CA certificates that sign the server's, for `verify-full` (the system's when not given).
        public var rootCertificate: String?

        /// The URL without secrets, for messages.
        public var description: String {
            "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)\(schema.map { "?schema=\($0)" } ?? "")"
        }
    }

    /// TLS to the server, as libpq's `sslmode` names it.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// Never.
        case disable
        /// When the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// Always, without checking the certificate.
        case require
        /// Always, the certificate checked against the CA and the host name.
        case verifyFull = "verify-full"
    }

    /// Reads `journal.url`.
    /// - Throws: `JournalError` saying what is wrong and what the URL looks like.
    public init(_ text: String) throws(JournalError) {
        let shape = "write sqlite:///PATH or postgres://USER@HOST[:PORT]/DATABASE[?sslmode=verify-full]"
        if text.hasPrefix("/") {
            self = .sqlite(path: text)
            return
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw JournalError("'\(Self.withoutUserInfo(text))' is no URL; \(shape)")
        }
        switch scheme {
        case "sqlite":
            guard (components.host ?? "").isEmpty, components.path.hasPrefix("/") else {
                throw JournalError("'\(text)' names no absolute file: sqlite URLs have three slashes, as sqlite:///var/lib/sopd/journal.sqlite")
            }
            self = .sqlite(path: components.path)
        case "postgres", "postgresql":
            guard components.password == nil else {
                throw JournalError(
                    "the URL holds a password, which would then show wherever the URL does; remove it and put the password in the journal-password credential (or SOPD_JOURNAL_PASSWORD)")
            }
            guard let host = components.host, !host.isEmpty else { throw JournalError("'\(text)' names no server; \(shape)") }
            guard let user = components.user, !user.isEmpty else { throw JournalError("'\(text)' names no user; \(shape)") }
            let database = String(components.path.drop { $0 == "/" })
            guard !database.isEmpty, !database.contains("/") else { throw JournalError("'\(text)' names no database; \(shape)") }
            var target = PostgresTarget(
                host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: components.port ?? 5432, user: user,
                database: database, schema: nil, tls: .prefer, rootCertificate: nil)
            for item in components.queryItems ?? [] {
                let value = item.value ?? ""
                switch item.name {
                case "sslmode":
                    guard let mode = TLSMode(rawValue: value) else {
                        throw JournalError(
                            "sslmode '\(value)' is not one sopd knows: use \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    target.tls = mode
                case "sslrootcert": target.rootCertificate = value
                case "schema":
                    guard !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                        throw JournalError("schema '\(value)' is not a plain name (letters, digits, _)")
                    }
                    target.schema = value
                default:
                    throw JournalError("'\(item.name)' is not an option sopd reads in a postgres URL: use sslmode, sslrootcert or schema")
                }
            }
            self = .postgres(target)
        default:
            throw JournalError("'\(scheme)' is not a journal sopd knows; \(shape)")
        }
    }

    /// `text` with anything before an `@` (a user and maybe a password) left out, for a message about text that is no URL.
    private static func withoutUserInfo(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let scheme = text.range(of: "://").map { String(text[..<$0.upperBound]) } ?? ""
        return scheme + "…" + text[at...]
    }

    /// The URL without secrets, for messages.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let target): target.description
        }
    }
}
