/// Where a journal keeps its rows: the SQLite file of one host (`SQLiteJournalStore`) or a PostgreSQL database
/// several hosts share (`PostgresJournalStore`, in the PostgresJournal module). The journal's logic is written once,
/// against this; a store only runs SQL, transactions and migrations.
public protocol JournalStore: Sendable {
    /// Where the journal is, for messages: a file path, or a URL without its password.
    var location: String { get }
    /// The SQL the store speaks.
    var dialect: JournalDialect { get }

    /// Runs `body` in a transaction and commits it. A body may run more than once (a backend retries a transaction
    /// its database aborted for a deadlock), so it must only touch the database.
    func write<T>(_ body: (any JournalConnection) throws -> T) throws -> T

    /// Runs `body` on the database without writing.
    func read<T>(_ body: (any JournalConnection) throws -> T) throws -> T

    /// The schema migrations applied, oldest first.
    func appliedMigrations() throws -> [String]

    /// Why this process cannot write the journal, or nil.
    func writeProblem() -> String?

    /// The bytes the journal takes on disk, when the store can tell.
    func sizeOnDisk() -> Int64?

    /// Writes this process committed since it opened the store.
    var writesCommitted: Int { get }
}
