import Foundation
import Journal
import Logging
import NIOCore
import PostgresNIO

/// The journal's SQL on one PostgreSQL connection: `?` placeholders numbered as `$1…`, values bound in binary,
/// every statement bounded by the pool's timeout (after which the connection is closed, which fails the statement,
/// so a partitioned server never holds a thread for longer).
final class PostgresStatements: JournalConnection {
    private let connection: PostgresConnection
    private let logger: Logger
    private let timeout: TimeAmount
    /// Whether the connection failed (rather than a statement): the pool closes it.
    private(set) var broken = false
    /// How many statements were sent.
    private(set) var sent = 0

    init(connection: PostgresConnection, logger: Logger, timeout: TimeAmount) {
        self.connection = connection
        self.logger = logger
        self.timeout = timeout
    }

    var dialect: JournalDialect { .postgres }

    @discardableResult
    func execute(_ sql: String, _ arguments: [JournalValue]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func insert(_ sql: String, _ arguments: [JournalValue]) throws -> Int64? {
        guard let row = try run(sql + " RETURNING id", arguments).rows.first else { return nil }
        return try PostgresJournalRow(row: row.makeRandomAccess()).integer(0)
    }

    func rows<T>(_ sql: String, _ arguments: [JournalValue], _ read: (any JournalRow) throws -> T) throws -> [T] {
        try run(sql, arguments).rows.map { row in try read(PostgresJournalRow(row: row.makeRandomAccess())) }
    }

    /// Runs a statement and waits for all its rows, at most the timeout.
    func run(_ sql: String, _ arguments: [JournalValue]) throws -> PostgresQueryResult {
        sent += 1
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .date(let date): bindings.append(date)
            }
        }
        let query = PostgresQuery(unsafeSQL: PlaceholderNumbering.numbered(sql), binds: bindings)
        let connection = connection
        let timer = connection.eventLoop.scheduleTask(in: timeout) { PostgresConnectionPool.close(connection) }
        defer { timer.cancel() }
        do {
            return try connection.query(query, logger: logger).wait()
        } catch {
            if !Self.isServerError(error) { broken = true }
            throw PostgresFailure(error, timedOut: connection.isClosed)
        }
    }

    /// Whether the server refused a statement (the connection is fine), as opposed to the connection failing.
    static func isServerError(_ error: any Error) -> Bool {
        (error as? PSQLError)?.code == .server
    }

    /// What went wrong, from PostgresNIO's error (whose description hides the server's words on purpose).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            return "the server answered \(info[.sqlState] ?? "?"): \(info[.message] ?? "no message")\(info[.detail].map { " (\($0))" } ?? "")"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}

/// A row of a PostgreSQL query.
struct PostgresJournalRow: JournalRow {
    let row: PostgresRandomAccessRow

    func integer(_ index: Int) throws -> Int64? { try row[index].decode(Int64?.self) }
    func text(_ index: Int) throws -> String? { try row[index].decode(String?.self) }
    func date(_ index: Int) throws -> Date? { try row[index].decode(Date?.self) }
}

/// `?` placeholders numbered as PostgreSQL takes them (`$1`, `$2`, …), once per statement text. The journal's SQL
/// has no `?` inside quotes.
enum PlaceholderNumbering {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: String] = [:]

    static func numbered(_ sql: String) -> String {
        if let done = lock.withLock({ cache[sql] }) { return done }
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        for character in sql {
            if character == "?" {
                number += 1
                result += "$\(number)"
            } else {
                result.append(character)
            }
        }
        lock.withLock { cache[sql] = result }
        return result
    }
}
