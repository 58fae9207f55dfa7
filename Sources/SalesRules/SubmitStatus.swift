/// The `submitstatus` values sopd writes on a submitted order, so salespeople see where it is in the
/// back office (`submitstatusdescription` says it in words). Dynamics leaves their meaning to the integration.
public enum SubmitStatus: Int, Sendable, CaseIterable {
    /// The back office received the order.
    case received = 1
    /// The back office accepted the order.
    case accepted = 2
    /// The back office rejected or deleted the order; it is back with the salesperson.
    case returned = 3
    /// sopd gave up sending the order.
    case notSent = 4
}
