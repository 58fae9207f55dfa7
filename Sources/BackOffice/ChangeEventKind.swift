/// The kinds of event in contract v1's change feed; the reference back office emits them and the
/// inbound pipeline applies them, both through this one type.
public enum ChangeEventKind: String, Sendable, CaseIterable {
    /// The back office accepted the order.
    case accepted
    /// The back office changed the order's lines and totals (repricing, quantities).
    case linesChanged
    /// The order shipped, in full or in part.
    case shipped
    /// The order was invoiced.
    case invoiced
    /// The back office canceled the order.
    case canceled
    /// The back office refused the order; it goes back to the salesperson.
    case rejected
    /// The back office deleted the order; it goes back to the salesperson.
    case deleted
}
