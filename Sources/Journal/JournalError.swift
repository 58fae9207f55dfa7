/// The journal could not be opened, read or written.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    /// What failed and what to do.
    public var message: String
    /// Whether the write was refused because a newer claim exists: this process's lease ran out and another claim
    /// took the transfer (or the feed) over. Nothing is wrong with the journal; the newer claim's outcome stands.
    public var fenced: Bool

    /// Creates an error.
    public init(_ message: String, fenced: Bool = false) {
        self.message = message
        self.fenced = fenced
    }

    public var description: String { "journal: \(message)" }
}
