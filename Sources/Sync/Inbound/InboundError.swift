/// Why a back-office event was not applied. Every case but `deliveryUnderWay` is permanent for that event: the same
/// event would fail the same way, so it waits for an operator (or for the order to change).
public struct InboundError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal.
    public enum Code: Sendable, Equatable {
        /// The event names no order sopd knows: no Dynamics id, never sent, or not in Dynamics.
        case unknownOrder
        /// The event came before its order's delivery was recorded (the order is being sent, by this sopd or another
        /// sharing the journal): it is retried.
        case deliveryUnderWay
        /// Contract v1 has no event of this type.
        case unknownEventType
        /// The event does not fit the order as Dynamics has it now (`InboundEventPolicy`).
        case doesNotApply
        /// The order changed again while the event was re-applied after a conflict.
        case changedAgain
    }

    /// What kind of refusal.
    public var code: Code
    /// What failed, for the journal and the log.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
