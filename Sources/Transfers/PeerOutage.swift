import Foundation

/// A peer that is failing: since when, how many attempts failed, and the last error. The journal keeps
/// it, so `sopd status` can say it from another process.
public struct PeerOutage: Sendable, Equatable {
    /// The peer.
    public var peer: Peer
    /// When its first failure of this outage happened.
    public var since: Date
    /// How many attempts against it failed since.
    public var failures: Int
    /// The last error, free of secrets.
    public var lastError: String

    /// Creates an outage.
    public init(peer: Peer, since: Date, failures: Int, lastError: String) {
        self.peer = peer
        self.since = since
        self.failures = failures
        self.lastError = lastError
    }
}
