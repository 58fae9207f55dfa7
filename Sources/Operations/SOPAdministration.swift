import Dataverse
import SalesRules

/// `sopd sop status|enable|disable`: reads and sets `organization.issopintegrationenabled` through
/// the Web API, and refuses to turn it off while submitted orders wait, unless forced. Blocking:
/// run it on a Dispatch queue.
public struct SOPAdministration: Sendable {
    /// What `status` reports.
    public struct Status: Sendable, Equatable {
        /// The organization.
        public var organizationId: String
        /// Whether sales order processing integration is on.
        public var enabled: Bool
        /// The user sopd acts as.
        public var actingUser: SystemUser
        /// Orders in the Submitted state (counted up to 5000).
        public var submittedOrders: Int

        /// The report, one fact a line.
        public var lines: [String] {
            [
                "organization: \(organizationId)",
                "sales order processing integration (issopintegrationenabled): \(enabled ? "on" : "off")",
                "sopd acts as: \(actingUser.fullName) (\(actingUser.systemUserId)), integration user: \(actingUser.isIntegrationUser ? "yes" : "no")",
                "submitted orders: \(submittedOrders)",
            ]
        }
    }

    /// The outcome of `enable` or `disable`.
    public struct Change: Sendable, Equatable {
        /// Whether the switch was changed.
        public var changed: Bool
        /// Whether the change was refused.
        public var refused: Bool
        /// What happened, for the operator.
        public var message: String
    }

    private let dataverse: DataverseClient

    /// Creates the commands over a Dataverse client.
    public init(dataverse: DataverseClient) {
        self.dataverse = dataverse
    }

    /// The switch, who sopd acts as, and how many orders are submitted.
    public func status() throws(DataverseError) -> Status {
        let settings = try dataverse.organizationSettings()
        let me = try dataverse.whoAmI()
        return Status(
            organizationId: settings.organizationId, enabled: settings.isSOPIntegrationEnabled,
            actingUser: try dataverse.systemUser(me.userId), submittedOrders: try submittedOrders())
    }

    /// Turns the switch on.
    public func enable() throws(DataverseError) -> Change {
        let settings = try dataverse.organizationSettings()
        guard !settings.isSOPIntegrationEnabled else {
            return Change(changed: false, refused: false, message: "sales order processing integration is already on; nothing changed")
        }
        try dataverse.setSOPIntegration(organizationId: settings.organizationId, enabled: true)
        return Change(
            changed: true, refused: false,
            message: "sales order processing integration: off -> on (organization \(settings.organizationId))")
    }

    /// Turns the switch off, unless submitted orders wait and `force` is false.
    public func disable(force: Bool) throws(DataverseError) -> Change {
        let settings = try dataverse.organizationSettings()
        guard settings.isSOPIntegrationEnabled else {
            return Change(changed: false, refused: false, message: "sales order processing integration is already off; nothing changed")
        }
        let submitted = try submittedOrders()
        if case .refused(let reason) = SalesOrderProcessing.disable(submittedOrders: submitted, force: force) {
            return Change(changed: false, refused: true, message: "refused: \(reason) (sopd sop disable --force)")
        }
        try dataverse.setSOPIntegration(organizationId: settings.organizationId, enabled: false)
        let note =
            submitted > 0
            ? "; \(submitted) submitted order(s) are no longer locked for salespeople, and their prices are computed again on edits" : ""
        return Change(
            changed: true, refused: false,
            message: "sales order processing integration: on -> off (organization \(settings.organizationId))\(note)")
    }

    private func submittedOrders() throws(DataverseError) -> Int {
        try dataverse.count("salesorders", filter: "statecode eq \(OrderState.submitted.rawValue)")
    }
}
