/// A system sopd talks to, each with a circuit of its own.
public enum Peer: String, Sendable, CaseIterable {
    /// The Dataverse Web API (Dynamics 365).
    case dataverse
    /// The back office's order endpoint and change feed.
    case backOffice = "backoffice"

    /// The peer's name in log lines and `sopd status`.
    public var label: String {
        switch self {
        case .dataverse: "Dataverse"
        case .backOffice: "the back office"
        }
    }
}
