/// Acting on behalf of another user: every request carries the header that names them, and
/// Dataverse applies that user's privileges and flags (such as `isintegrationuser`).
public enum Impersonation: Sendable, Equatable {
    /// `CallerObjectId: <Entra object id>`, the preferred header.
    case callerObjectId(String)
    /// `MSCRMCallerID: <systemuserid>`.
    case systemUserId(String)

    var header: (name: String, value: String) {
        switch self {
        case .callerObjectId(let id): ("CallerObjectId", id)
        case .systemUserId(let id): ("MSCRMCallerID", id)
        }
    }
}
