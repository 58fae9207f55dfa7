/// One cell of the seed's price-computation table.
public enum PriceRule: Sendable, Equatable {
    /// "Calculate always".
    case calculateAlways
    /// "Not applicable": the operation does not compute prices on this table.
    case notApplicable
    /// "Calculation is skipped if the IsSOPIntegrationEnabled flag is set to Yes (1) and …".
    case skipWhenSOPEnabledAnd(SkipCondition)

    /// What, besides the switch being on, makes Dynamics skip the calculation.
    public enum SkipCondition: Sendable, Equatable {
        /// "… the signed-in user is an integration user".
        case callerIsIntegrationUser
        /// "… the sales order is in a submitted state".
        case orderSubmitted
        /// "… the sales order is in a submitted state or the signed-in user is an integration user".
        case orderSubmittedOrCallerIsIntegrationUser
    }
}
