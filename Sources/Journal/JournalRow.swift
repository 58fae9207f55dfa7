import Foundation

/// One row a journal query returned, read by column position (the select list's order).
public protocol JournalRow {
    /// A whole-number column, nil when NULL.
    func integer(_ index: Int) throws -> Int64?
    /// A text column, nil when NULL.
    func text(_ index: Int) throws -> String?
    /// A date column, nil when NULL.
    func date(_ index: Int) throws -> Date?
}

extension JournalRow {
    /// A whole-number column as `Int`, nil when NULL.
    func int(_ index: Int) throws -> Int? { try integer(index).map { Int($0) } }

    /// A column that may not be NULL.
    func required<T>(_ value: T?, _ index: Int, _ what: String) throws -> T {
        guard let value else { throw JournalError("a journal row has no \(what) (column \(index))") }
        return value
    }
}
