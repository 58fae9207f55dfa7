import Foundation

/// The one rule of when a journaled transfer is due, and why it waits when it is not. Pure: the
/// journal's due list, the claim, and both pipelines ask it.
public enum TransferSchedule {
    /// Why `transfer` waits at `now`, or nil when it is due.
    /// - Parameters:
    ///   - transfer: The journaled transfer.
    ///   - now: The current time.
    ///   - claimant: The process about to claim it (`host:pid`), which may take back its own lease; nil
    ///     for the due list, where a transfer any live process holds waits.
    ///   - probe: Tells whether a lease holder of this host is alive.
    public static func waitReason(
        _ transfer: Transfer, now: Date, claimant: String? = nil, probe: some LeaseProbe
    ) -> WaitReason? {
        switch transfer.state {
        case .done: return .delivered(remoteId: transfer.remoteId)
        case .dead: return .dead(id: transfer.id, attempts: transfer.attempts, lastError: transfer.lastError)
        case .pending, .failed, .sending: break
        }
        if transfer.returnedAt != nil { return .returned }
        if transfer.state == .failed, let due = transfer.nextAttemptAt, due > now {
            return .retryLater(at: due, lastError: transfer.lastError)
        }
        if transfer.state == .sending, let owner = transfer.leaseOwner, owner != claimant,
            leaseHolderMayBeAlive(transfer, now: now, probe: probe)
        {
            return .leased(owner: owner)
        }
        return nil
    }

    /// Whether the process that claimed `transfer` may still be sending it: a process of this host
    /// that is gone is not; one of another host is until its lease ends.
    static func leaseHolderMayBeAlive(_ transfer: Transfer, now: Date, probe: some LeaseProbe) -> Bool {
        guard let owner = transfer.leaseOwner.flatMap(TransferOwner.init) else { return false }
        return probe.isAlive(owner) ?? ((transfer.leaseUntil ?? .distantPast) > now)
    }
}
