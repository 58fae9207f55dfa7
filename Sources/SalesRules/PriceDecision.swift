/// Whether Dynamics computes prices for one operation.
public enum PriceDecision: String, Sendable, Equatable {
    /// Prices and totals are computed; computed columns written by the caller are replaced.
    case calculate
    /// Nothing is computed; what the caller wrote stays exactly as written.
    case skip
    /// The operation does not compute prices on this table.
    case notApplicable
}
