import Transfers

/// What a sync engine knows of its peers, for `/readyz`.
public struct EngineHealth: Sendable {
    /// The peers failing now.
    public var outages: [PeerOutage]
    /// Why sopd may not write back (not an integration user, or the switch off); "" when the last check
    /// passed; nil before the first check.
    public var accessRefusal: String?
}
