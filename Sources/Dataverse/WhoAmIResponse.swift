/// The answer of `WhoAmI()`: who the token acts as.
public struct WhoAmIResponse: Sendable, Equatable {
    /// The calling system user.
    public var userId: String
    /// The caller's business unit.
    public var businessUnitId: String
    /// The organization.
    public var organizationId: String
}
