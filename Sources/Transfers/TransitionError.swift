/// A transition the state machine does not allow, such as completing a transfer that is not being sent.
public struct TransitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which transfer, and from which state to which.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
