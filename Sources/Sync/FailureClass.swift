import BackOffice
import Dataverse

/// What a failure means for the transfer: try again later, give up, or re-read and re-apply.
public enum FailureClass: Sendable, Equatable {
    /// The peer may answer next time: no connection, a timeout, a dropped connection, 5xx, 429.
    case retryable(retryAfter: Double?)
    /// The same request will fail the same way: the document or the event is wrong (422, 400, 404, 409).
    case permanent
    /// The row changed since it was read (412).
    case conflict

    /// The class of a back-office failure.
    public init(_ error: BackOfficeError) {
        switch error.code {
        case .rejected, .conflict, .refused: self = .permanent
        case .throttled: self = .retryable(retryAfter: error.retryAfter)
        default: self = .retryable(retryAfter: error.retryAfter)
        }
    }

    /// The class of a Dataverse failure.
    public init(_ error: DataverseError) {
        switch error.code {
        case .rejected, .notFound: self = .permanent
        case .concurrencyConflict: self = .conflict
        default: self = .retryable(retryAfter: error.retryAfter)
        }
    }

    /// The class of any failure of a transfer: typed peer errors by their code, the rest retryable.
    public init(any error: any Error) {
        switch error {
        case let error as BackOfficeError: self.init(error)
        case let error as DataverseError: self.init(error)
        case is InboundError: self = .permanent
        default: self = .retryable(retryAfter: nil)
        }
    }

    /// How the attempt history names it.
    public var label: String {
        switch self {
        case .retryable: "retryable"
        case .permanent: "permanent"
        case .conflict: "conflict"
        }
    }
}
