/// A transition the state machine does not allow, such as completing a transfer that is not being sent.
public struct TransitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which transfer, and from which state to which.
    public var message: String
    /// Whether the transition was refused because a newer claim exists (`TransferMachine.checkFence`).
    public var fenced: Bool

    /// Creates an error.
    public init(_ message: String, fenced: Bool = false) {
        self.message = message
        self.fenced = fenced
    }

    /// The message.
    public var description: String { message }
}
