import Foundation
import Journal
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The journal in a PostgreSQL database that several sopd hosts share: each write is a transaction of its own (rows
/// a write changes are locked `FOR UPDATE`, claims skip rows another host is claiming), migrations run under an
/// advisory lock so that hosts starting at once never race, and every statement is bounded in time.
public final class PostgresJournalStore: JournalStore, @unchecked Sendable {
    /// The database, without secrets.
    public let target: JournalURL.PostgresTarget
    private let pool: PostgresConnectionPool
    private let lock = NSLock()
    private var committed = 0

    /// One event-loop thread serves every connection: the journal's statements are short and its callers block.
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Connects to `target`, creating its schema and migrating it as needed.
    /// - Parameters:
    ///   - target: The server, database and TLS mode (`journal.url`).
    ///   - password: The role's password (`journal.password`), or nil for trust or peer authentication.
    ///   - connections: How many connections this process opens at most.
    ///   - timeoutSeconds: How long a connection attempt or a statement may take.
    ///   - applicationName: How the server lists this process's connections (`pg_stat_activity`).
    /// - Throws: `JournalError` naming the server and what to do.
    public init(
        target: JournalURL.PostgresTarget, password: String?, connections: Int = 8, timeoutSeconds: Double = 10,
        applicationName: String = "sopd"
    ) throws(JournalError) {
        self.target = target
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try Self.tls(target)
        } catch {
            throw JournalError("cannot set up TLS to \(target.description): \(error); check sslrootcert")
        }
        var configuration = PostgresConnection.Configuration(
            host: target.host, port: target.port, username: target.user, password: password, database: target.database, tls: tls)
        let timeout = TimeAmount.milliseconds(Int64(timeoutSeconds * 1000))
        configuration.options.connectTimeout = timeout
        if target.tls == .verifyFull { configuration.options.tlsServerName = target.host }
        // A transaction left open by a host that then paused or lost the network would hold its row locks: the server
        // ends it. Statements are bounded on both sides.
        configuration.options.additionalStartupParameters = [
            ("application_name", applicationName),
            ("statement_timeout", "\(Int(timeoutSeconds * 1000))"),
            ("idle_in_transaction_session_timeout", "\(Int(timeoutSeconds * 2000))"),
            ("TimeZone", "UTC"),
        ] + (target.schema.map { [("search_path", $0)] } ?? [])
        pool = PostgresConnectionPool(
            configuration: configuration, limit: connections, timeout: timeout, eventLoop: Self.group.next(), location: target.description)
        do {
            try PostgresMigrations.migrate(self, schema: target.schema)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot migrate \(target.description): \(error)")
        }
    }

    private static func tls(_ target: JournalURL.PostgresTarget) throws -> PostgresConnection.Configuration.TLS {
        switch target.tls {
        case .disable:
            return .disable
        case .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            return target.tls == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let file = target.rootCertificate { configuration.trustRoots = .file(file) }
            return .require(try NIOSSLContext(configuration: configuration))
        }
    }

    /// The URL without secrets.
    public var location: String { target.description }

    /// PostgreSQL.
    public var dialect: JournalDialect { .postgres }

    /// Runs `body` in a transaction of its own. A transaction the server aborted for a deadlock or a serialization
    /// failure runs again (at most 5 times); a pooled connection that broke before it began is replaced (the pool).
    public func write<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        var tries = 0
        while true {
            tries += 1
            do {
                let result = try transaction(body)
                lock.withLock { committed += 1 }
                return result
            } catch is RetryableTransaction where tries < 5 {
                continue
            } catch let error as RetryableTransaction {
                throw error.underlying
            }
        }
    }

    private struct RetryableTransaction: Error {
        var underlying: any Error
    }

    private func transaction<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try pool.withConnection { statements in
            try statements.execute("BEGIN", [])
            do {
                let result = try body(statements)
                try statements.execute("COMMIT", [])
                return result
            } catch {
                if !statements.broken { _ = try? statements.execute("ROLLBACK", []) }
                if let failure = error as? PostgresFailure, failure.isRetryable { throw RetryableTransaction(underlying: error) }
                throw error
            }
        }
    }

    /// Runs `body` on a connection, each statement on its own.
    public func read<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try pool.withConnection { statements in try body(statements) }
    }

    /// The migrations applied, oldest first.
    public func appliedMigrations() throws -> [String] {
        try read { db in try db.rows("SELECT name FROM journal_migration ORDER BY appliedAt, name", []) { try $0.text(0) ?? "" } }
    }

    /// Why this process cannot write the journal: the server does not answer, or is a read-only standby.
    public func writeProblem() -> String? {
        do {
            let standby = try read { db in try db.rows("SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END", []) { try $0.integer(0) } }.first ?? nil
            return standby == 1 ? "\(location) is a read-only standby: point journal.url at the primary" : nil
        } catch {
            return "\(error)"
        }
    }

    /// The journal's tables with their indexes, on the server.
    public func sizeOnDisk() -> Int64? {
        try? read { db in
            try db.rows(
                """
                SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind = 'r'
                """, []
            ) { try $0.integer(0) }
        }.first ?? nil
    }

    /// Transactions this process committed.
    public var writesCommitted: Int { lock.withLock { committed } }

    deinit { pool.close() }
}
