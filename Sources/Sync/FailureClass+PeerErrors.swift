import BackOffice
import Dataverse
import Transfers

/// How the peers' errors map to the transfer core's failure classes.
extension FailureClass {
    /// The class of a back-office failure.
    public init(_ error: BackOfficeError) {
        switch error.code {
        case .rejected, .conflict, .refused, .ambiguous: self = .permanent
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

    /// The class of any failure of a transfer: typed peer errors by their code, an event whose order
    /// kept changing as a conflict (re-read and re-applied later, never given up for it), the rest retryable.
    public init(any error: any Error) {
        switch error {
        case let error as BackOfficeError: self.init(error)
        case let error as DataverseError: self.init(error)
        case let error as InboundError:
            switch error.code {
            case .changedAgain: self = .conflict
            case .deliveryUnderWay: self = .retryable(retryAfter: nil)
            case .unknownOrder, .unknownEventType, .doesNotApply: self = .permanent
            }
        default: self = .retryable(retryAfter: nil)
        }
    }
}
