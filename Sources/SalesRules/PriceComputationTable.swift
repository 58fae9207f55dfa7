/// The seed's table "conditions that need to be satisfied before Dynamics 365 Sales executes price
/// computation", cell for cell, as data.
public enum PriceComputationTable {
    /// Every cell: 8 tables × 4 operations.
    public static let cells: [PricedTable: [PriceOperation: PriceRule]] = [
        .opportunity: [
            .create: .calculateAlways, .update: .calculateAlways, .delete: .notApplicable,
            .recalculate: .calculateAlways,
        ],
        .quote: [
            .create: .calculateAlways, .update: .calculateAlways, .delete: .notApplicable,
            .recalculate: .calculateAlways,
        ],
        .salesOrder: [
            .create: .skipWhenSOPEnabledAnd(.callerIsIntegrationUser),
            .update: .skipWhenSOPEnabledAnd(.orderSubmittedOrCallerIsIntegrationUser),
            .delete: .notApplicable,
            .recalculate: .skipWhenSOPEnabledAnd(.orderSubmitted),
        ],
        .invoice: [
            .create: .skipWhenSOPEnabledAnd(.callerIsIntegrationUser),
            .update: .skipWhenSOPEnabledAnd(.callerIsIntegrationUser),
            .delete: .notApplicable,
            .recalculate: .skipWhenSOPEnabledAnd(.callerIsIntegrationUser),
        ],
        .opportunityProduct: [
            .create: .calculateAlways, .update: .calculateAlways, .delete: .calculateAlways,
            .recalculate: .notApplicable,
        ],
        .quoteProduct: [
            .create: .calculateAlways, .update: .calculateAlways, .delete: .calculateAlways,
            .recalculate: .notApplicable,
        ],
        .salesOrderProduct: [
            .create: .skipWhenSOPEnabledAnd(.orderSubmittedOrCallerIsIntegrationUser),
            .update: .skipWhenSOPEnabledAnd(.orderSubmittedOrCallerIsIntegrationUser),
            .delete: .skipWhenSOPEnabledAnd(.callerIsIntegrationUser),
            .recalculate: .notApplicable,
        ],
        .invoiceProduct: [
            .create: .skipWhenSOPEnabledAnd(.callerIsIntegrationUser),
            .update: .skipWhenSOPEnabledAnd(.callerIsIntegrationUser),
            .delete: .skipWhenSOPEnabledAnd(.callerIsIntegrationUser),
            .recalculate: .notApplicable,
        ],
    ]

    /// The cell for `table` and `operation`.
    public static func rule(_ table: PricedTable, _ operation: PriceOperation) -> PriceRule {
        cells[table]![operation]!
    }

    /// Whether Dynamics computes prices for `operation` on `table` in `context`.
    public static func decide(_ table: PricedTable, _ operation: PriceOperation, in context: PriceContext)
        -> PriceDecision
    {
        switch rule(table, operation) {
        case .calculateAlways:
            return .calculate
        case .notApplicable:
            return .notApplicable
        case .skipWhenSOPEnabledAnd(let condition):
            guard context.sopIntegrationEnabled else { return .calculate }
            let holds =
                switch condition {
                case .callerIsIntegrationUser: context.callerIsIntegrationUser
                case .orderSubmitted: context.orderSubmitted
                case .orderSubmittedOrCallerIsIntegrationUser: context.orderSubmitted || context.callerIsIntegrationUser
                }
            return holds ? .skip : .calculate
        }
    }
}
