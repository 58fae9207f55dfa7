/// Text that is not valid JSON.
public struct JSONError: Error, Sendable, CustomStringConvertible {
    /// The byte offset where parsing stopped.
    public var offset: Int
    /// What was wrong there.
    public var message: String

    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}
