import Foundation

/// A lease on a piece of work only one sopd may do at a time, such as reading the back office's change feed:
/// who holds it, until when, and its fencing token (one more at every change of holder). Pure.
public struct WorkLease: Sendable, Equatable {
    /// What the lease is on, such as `backoffice.changes`.
    public var name: String
    /// Who holds it (`host:pid`).
    public var owner: String
    /// When it ends unless renewed.
    public var until: Date
    /// The fencing token: a write made under this lease is refused once another holder has it.
    public var fence: Int64

    /// Creates a lease.
    public init(name: String, owner: String, until: Date, fence: Int64) {
        self.name = name
        self.owner = owner
        self.until = until
        self.fence = fence
    }

    /// `owner`'s claim of the lease `current` (nil: never held) at `now` for `seconds`: renewed (same token) when
    /// `owner` holds it, taken over (one more token) when it ended or its holder is gone; nil while another holds it.
    public static func claim(
        _ current: WorkLease?, name: String, by owner: String, now: Date, seconds: Double, probe: some LeaseProbe
    ) -> WorkLease? {
        guard let current else { return WorkLease(name: name, owner: owner, until: now.addingTimeInterval(seconds), fence: 1) }
        if current.owner == owner {
            return WorkLease(name: name, owner: owner, until: now.addingTimeInterval(seconds), fence: current.fence)
        }
        let holderAlive = TransferOwner(current.owner).flatMap { probe.isAlive($0) } ?? (current.until > now)
        guard !holderAlive else { return nil }
        return WorkLease(name: name, owner: owner, until: now.addingTimeInterval(seconds), fence: current.fence + 1)
    }
}
