/// A built product could not be started, or what it did was not what its caller needed.
public struct BuiltProcessError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
