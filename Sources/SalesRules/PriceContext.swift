/// What the price-computation table's conditions look at.
public struct PriceContext: Sendable, Hashable {
    /// `organization.issopintegrationenabled`.
    public var sopIntegrationEnabled: Bool
    /// `systemuser.isintegrationuser` of the signed-in (calling) user.
    public var callerIsIntegrationUser: Bool
    /// Whether the sales order (the row itself, or the order of the line) is Submitted. False for other tables.
    public var orderSubmitted: Bool

    /// Creates a context.
    public init(sopIntegrationEnabled: Bool, callerIsIntegrationUser: Bool, orderSubmitted: Bool) {
        self.sopIntegrationEnabled = sopIntegrationEnabled
        self.callerIsIntegrationUser = callerIsIntegrationUser
        self.orderSubmitted = orderSubmitted
    }
}
