import Foundation

/// A sopd process that shares the journal, as its heartbeats and leases show it.
public struct JournalHost: Sendable, Equatable {
    /// `host:pid`.
    public var owner: String
    /// Its sopd version.
    public var version: String
    /// When it started.
    public var startedAt: Date
    /// When it last wrote a heartbeat.
    public var seenAt: Date
    /// How many transfers it holds a lease on (`sending`).
    public var transfersLeased = 0
    /// When the last of those leases ends.
    public var transferLeasesUntil: Date?

    /// Creates a host record.
    public init(owner: String, version: String, startedAt: Date, seenAt: Date) {
        self.owner = owner
        self.version = version
        self.startedAt = startedAt
        self.seenAt = seenAt
    }
}
