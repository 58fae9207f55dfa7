/// The four operations of the seed's price-computation table.
public enum PriceOperation: String, Sendable, CaseIterable, Hashable {
    case create
    case update
    case delete
    /// "Recalculate" in the UI; `CalculatePrice` / `RecalculatePrice` in the Web API.
    case recalculate
}
