import Foundation

/// A value bound to the journal's SQL, as both backends take it: SQLite stores a date as `JournalTime` text,
/// PostgreSQL as a `timestamptz`.
public enum JournalValue: Sendable, Equatable {
    /// SQL NULL.
    case null
    /// A whole number.
    case integer(Int64)
    /// Text.
    case text(String)
    /// A point in time.
    case date(Date)

    /// A whole number, or NULL.
    public static func integer(_ value: Int?) -> JournalValue { value.map { .integer(Int64($0)) } ?? .null }
    /// A whole number, or NULL.
    public static func integer(_ value: Int64?) -> JournalValue { value.map { .integer($0) } ?? .null }
    /// Text, or NULL.
    public static func text(_ value: String?) -> JournalValue { value.map { .text($0) } ?? .null }
    /// A point in time, or NULL.
    public static func date(_ value: Date?) -> JournalValue { value.map { .date($0) } ?? .null }
}
