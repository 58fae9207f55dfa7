/// The journal could not be opened, read or written.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    /// What failed and what to do.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { "journal: \(message)" }
}
