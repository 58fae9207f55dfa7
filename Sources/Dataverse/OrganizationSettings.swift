/// The parts of the `organization` row sopd reads.
public struct OrganizationSettings: Sendable, Equatable {
    /// The organization id.
    public var organizationId: String
    /// `issopintegrationenabled`: whether sales order processing integration is on.
    public var isSOPIntegrationEnabled: Bool
}
