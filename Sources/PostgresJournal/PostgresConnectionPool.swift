import Foundation
import Journal
import Logging
import NIOCore
import PostgresNIO

/// A few connections to the journal's PostgreSQL server, shared by the threads that write the journal: a thread
/// takes one (or waits for one), runs its statements and gives it back. A connection that failed is closed and
/// replaced by a new one at the next use. Blocking: it is used from Dispatch threads, never from Swift concurrency's.
final class PostgresConnectionPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var nextId = 0
    private let limit: Int
    private let configuration: PostgresConnection.Configuration
    private let eventLoop: any EventLoop
    private let logger: Logger
    /// How long a connection attempt or a statement may take before the connection is given up.
    let timeout: TimeAmount
    private let location: String

    init(configuration: PostgresConnection.Configuration, limit: Int, timeout: TimeAmount, eventLoop: any EventLoop, location: String) {
        self.configuration = configuration
        self.limit = limit
        self.timeout = timeout
        self.eventLoop = eventLoop
        self.location = location
        // PostgresNIO's own lines stay out of sopd's log: the journal reports what failed itself. (Setting a level on a
        // logger of sopd's handler would set it for every logger of the process.)
        logger = Logger(label: "sopd.journal.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    /// Runs `body` on a connection of its own. A connection `body` found broken (`PostgresStatements.broken`) is
    /// closed rather than given back. A pooled connection the server closed meanwhile fails its first statement before
    /// anything ran: `body` then runs again on another.
    func withConnection<T>(_ body: (PostgresStatements) throws -> T) throws -> T {
        let (connection, fresh) = try take()
        let statements = PostgresStatements(connection: connection, logger: logger, timeout: timeout)
        do {
            let result = try body(statements)
            giveBack(connection, broken: statements.broken)
            return result
        } catch {
            giveBack(connection, broken: statements.broken || connection.isClosed)
            if !fresh, statements.broken, statements.sent == 1 { return try withConnection(body) }
            throw error
        }
    }

    private func take() throws -> (PostgresConnection, Bool) {
        condition.lock()
        while idle.isEmpty && open >= limit { condition.wait() }
        if let connection = idle.popLast() {
            condition.unlock()
            if connection.isClosed {
                giveBack(connection, broken: true)
                return try take()
            }
            return (connection, false)
        }
        open += 1
        nextId += 1
        let id = nextId
        condition.unlock()
        do {
            return (try PostgresConnection.connect(on: eventLoop, configuration: configuration, id: id, logger: logger).wait(), true)
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            let refused = PostgresFailure(error, timedOut: false).sqlState?.hasPrefix("28") == true
            throw JournalError(
                "cannot connect to \(location): \(PostgresStatements.describe(error)); "
                    + (refused
                        ? "check journal.password (the journal-password credential, or SOPD_JOURNAL_PASSWORD) and the server's pg_hba.conf"
                        : "check that the server runs and this host may reach it"))
        }
    }

    private func giveBack(_ connection: PostgresConnection, broken: Bool) {
        condition.lock()
        if broken {
            open -= 1
            Self.close(connection)
        } else {
            idle.append(connection)
        }
        condition.signal()
        condition.unlock()
    }

    /// Closes `connection`, which lives until it is closed (PostgresNIO requires it).
    static func close(_ connection: PostgresConnection) {
        (connection.close() as EventLoopFuture<Void>).whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Closes the idle connections.
    func close() {
        condition.lock()
        let closing = idle
        idle = []
        open -= closing.count
        condition.unlock()
        for connection in closing { Self.close(connection) }
    }
}
