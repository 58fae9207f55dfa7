/// An order row that cannot become an order document.
public struct OrderMappingError: Error, Sendable, CustomStringConvertible {
    /// The order number, when the row has one.
    public var orderNumber: String?
    /// What is missing.
    public var message: String

    public var description: String { "cannot build the order document: \(message)" }
}
