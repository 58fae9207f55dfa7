/// The journal's database inside one read or one transaction, as both backends offer it. SQL is written with `?`
/// placeholders; a backend that numbers them (`$1`) rewrites them.
public protocol JournalConnection {
    /// The backend's SQL.
    var dialect: JournalDialect { get }

    /// Runs a statement.
    /// - Returns: How many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [JournalValue]) throws -> Int

    /// Runs an `INSERT` into a table with an `id` column.
    /// - Returns: The new row's id, or nil when the insert inserted nothing (`ON CONFLICT DO NOTHING`).
    func insert(_ sql: String, _ arguments: [JournalValue]) throws -> Int64?

    /// Runs a query and reads each row with `read`, in the order the rows come.
    func rows<T>(_ sql: String, _ arguments: [JournalValue], _ read: (any JournalRow) throws -> T) throws -> [T]
}

extension JournalConnection {
    /// The first row of a query, read with `read`, or nil.
    public func row<T>(_ sql: String, _ arguments: [JournalValue], _ read: (any JournalRow) throws -> T) throws -> T? {
        try rows(sql, arguments, read).first
    }

    /// A count (`SELECT COUNT(*) …`).
    public func count(_ sql: String, _ arguments: [JournalValue]) throws -> Int {
        try row(sql, arguments) { try $0.int(0) ?? 0 } ?? 0
    }
}
