/// Which way a transfer goes.
public enum TransferDirection: String, Sendable, Codable, CaseIterable {
    /// From Dynamics to the back office.
    case outbound = "out"
    /// From the back office to Dynamics.
    case inbound = "in"
}
