import Foundation
import GRDB

/// The journal's SQL on a GRDB connection: statements compiled once per connection (`cachedStatement`), dates
/// bound as `JournalTime` text.
struct SQLiteConnection: JournalConnection {
    let db: Database

    var dialect: JournalDialect { .sqlite }

    @discardableResult
    func execute(_ sql: String, _ arguments: [JournalValue]) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.bound(arguments))
        return db.changesCount
    }

    func insert(_ sql: String, _ arguments: [JournalValue]) throws -> Int64? {
        try execute(sql, arguments) > 0 ? db.lastInsertedRowID : nil
    }

    func rows<T>(_ sql: String, _ arguments: [JournalValue], _ read: (any JournalRow) throws -> T) throws -> [T] {
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: Self.bound(arguments))
        var result: [T] = []
        while let row = try cursor.next() { result.append(try read(SQLiteRow(row: row))) }
        return result
    }

    private static func bound(_ arguments: [JournalValue]) -> StatementArguments {
        StatementArguments(
            arguments.map { value -> DatabaseValue in
                switch value {
                case .null: .null
                case .integer(let number): number.databaseValue
                case .text(let text): text.databaseValue
                case .date(let date): JournalTime.text(date).databaseValue
                }
            })
    }
}

/// A row of a SQLite query; dates are read from `JournalTime` text (or any form GRDB reads).
struct SQLiteRow: JournalRow {
    let row: Row

    func integer(_ index: Int) -> Int64? { row[index] }
    func text(_ index: Int) -> String? { row[index] }
    func date(_ index: Int) -> Date? { JournalTime.date(row[index] as DatabaseValue) }
}
