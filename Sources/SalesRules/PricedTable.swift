/// The eight tables of the seed's price-computation table: four headers and their product lines.
public enum PricedTable: String, Sendable, CaseIterable, Hashable {
    case opportunity
    case quote
    case salesOrder = "salesorder"
    case invoice
    case opportunityProduct = "opportunityproduct"
    case quoteProduct = "quotedetail"
    case salesOrderProduct = "salesorderdetail"
    case invoiceProduct = "invoicedetail"

    /// The table's logical name in Dataverse.
    public var logicalName: String { rawValue }

    /// The header a product line belongs to; nil for a header.
    public var header: PricedTable? {
        switch self {
        case .opportunityProduct: .opportunity
        case .quoteProduct: .quote
        case .salesOrderProduct: .salesOrder
        case .invoiceProduct: .invoice
        default: nil
        }
    }

    /// The product-line table of a header; nil for a line table.
    public var lines: PricedTable? {
        Self.allCases.first { $0.header == self }
    }

    /// Whether this is one of the sales order tables, whose rules depend on the order being submitted.
    public var isSalesOrderTable: Bool { self == .salesOrder || self == .salesOrderProduct }

    /// The name the seed uses, such as "Sales order product".
    public var seedName: String {
        switch self {
        case .opportunity: "Opportunity"
        case .quote: "Quote"
        case .salesOrder: "Sales order"
        case .invoice: "Invoice"
        case .opportunityProduct: "Opportunity product"
        case .quoteProduct: "Quote product"
        case .salesOrderProduct: "Sales order product"
        case .invoiceProduct: "Invoice product"
        }
    }
}
