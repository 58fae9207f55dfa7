import PostgresNIO

/// A statement that failed: the server's refusal (with its SQLSTATE) or the connection's failure, in words an
/// operator can act on. PostgresNIO's own description hides the server's words on purpose; these are the journal's
/// own statements, which carry no secrets.
struct PostgresFailure: Error, CustomStringConvertible {
    /// What went wrong.
    var message: String
    /// The server's SQLSTATE, such as `40P01` for a deadlock; nil when the connection failed.
    var sqlState: String?

    init(_ error: any Error, timedOut: Bool) {
        sqlState = (error as? PSQLError)?.serverInfo?[.sqlState]
        let cause = PostgresStatements.describe(error)
        message = timedOut && sqlState == nil ? "the server did not answer in time; the connection was closed (\(cause))" : cause
    }

    /// Whether running the transaction again may succeed: the server aborted it for a deadlock or a serialization failure.
    var isRetryable: Bool { sqlState == "40P01" || sqlState == "40001" }

    var description: String { message }
}
