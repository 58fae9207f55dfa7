/// What a failure means for the transfer: try again later, give up, or re-read and re-apply.
public enum FailureClass: Sendable, Equatable {
    /// The peer may answer next time: no connection, a timeout, a dropped connection, 5xx, 429.
    case retryable(retryAfter: Double?)
    /// The same request will fail the same way: the document or the event is wrong (422, 400, 404, 409).
    case permanent
    /// The row changed since it was read (412).
    case conflict

    /// How the attempt history names it.
    public var label: String {
        switch self {
        case .retryable: "retryable"
        case .permanent: "permanent"
        case .conflict: "conflict"
        }
    }
}
