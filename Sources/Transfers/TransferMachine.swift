import Foundation

/// The transitions of a transfer, as pure functions of the transfer, the time and a lease probe:
/// claim (with a lease), complete, fail with a disposition, an operator's retry. The journal applies
/// them inside its transactions; nothing here reads the clock or touches storage.
///
/// `pending → sending → done | failed | dead`; `failed → sending` when its retry is due;
/// `sending → sending` re-sends with the same key after a crash or an abandoned attempt (the lease
/// holder is gone or its lease ended); `failed | dead → pending` when an operator retries it.
public enum TransferMachine {
    /// The answer to a claim.
    public enum Claim: Sendable, Equatable {
        /// Claimed: the transfer as it must be stored before anything is sent.
        case claimed(Transfer)
        /// Not claimed, and why.
        case refused(WaitReason)
    }

    /// Claims `transfer` for one more attempt by `owner`: state `sending`, one more attempt, the
    /// lease until `now + leaseSeconds`. A transfer `sending` under a process that is gone (a crash) is
    /// taken over. The retry time is not checked here: a driver claims what it decided to send — the
    /// schedule's due transfers, or a new one — so only delivered, dead, returned and leased ones are refused.
    public static func claim(
        _ transfer: Transfer, by owner: String, now: Date, leaseSeconds: Double, probe: some LeaseProbe
    ) -> Claim {
        switch TransferSchedule.waitReason(transfer, now: now, claimant: owner, probe: probe) {
        case .none, .retryLater: break
        case .some(let reason): return .refused(reason)
        }
        var claimed = transfer
        claimed.state = .sending
        claimed.attempts += 1
        claimed.leaseOwner = owner
        claimed.leaseUntil = now.addingTimeInterval(leaseSeconds)
        claimed.fence += 1
        claimed.updatedAt = now
        return .claimed(claimed)
    }

    /// Refuses an outcome sent under claim `fence` when `current` (the stored row) was claimed again since:
    /// the lease ran out (a pause, a partition) and another sopd, or this one, took the transfer over. The newer
    /// claim's outcome stands; this one is dropped.
    /// - Throws: `TransitionError` with `fenced` set, naming both claims.
    public static func checkFence(_ current: Transfer, claim fence: Int64) throws(TransitionError) {
        guard current.fence != fence else { return }
        throw TransitionError(
            "transfer \(current.id ?? 0) (\(current.orderNumber)) was claimed again (claim \(current.fence)\(current.leaseOwner.map { " by \($0)" } ?? "")) after claim \(fence) this outcome was sent under; the newer claim's outcome stands, this one is not recorded",
            fenced: true)
    }

    /// Gives back `transfer`'s claim when no attempt went out under it: `pending` again, the attempt it
    /// counted taken back, the lease ended.
    /// - Throws: `TransitionError` unless the transfer is `sending` with an attempt counted.
    public static func release(_ transfer: Transfer, now: Date) throws(TransitionError) -> Transfer {
        guard transfer.attempts > 0 else {
            throw TransitionError("transfer \(transfer.id ?? 0) (\(transfer.orderNumber)) has no claim to give back")
        }
        var released = try settle(transfer, to: .pending, now: now)
        released.attempts -= 1
        return released
    }

    /// `transfer` delivered: `done`, with the peer's id and status.
    /// - Throws: `TransitionError` unless the transfer is `sending`.
    public static func complete(_ transfer: Transfer, remoteId: String?, status: Int?, now: Date) throws(TransitionError)
        -> Transfer
    {
        var done = try settle(transfer, to: .done, now: now)
        done.remoteId = remoteId ?? transfer.remoteId
        done.lastStatus = status
        done.lastError = nil
        done.nextAttemptAt = nil
        return done
    }

    /// `transfer`'s attempt failed: `failed` until the disposition's time, or `dead`.
    /// - Parameters:
    ///   - reason: Why, already free of secrets.
    ///   - status: The HTTP status, if there was an answer.
    ///   - remoteId: The peer's id, when the failure came after the peer accepted the document.
    /// - Throws: `TransitionError` unless the transfer is `sending`.
    public static func fail(
        _ transfer: Transfer, reason: String, status: Int?, remoteId: String?, disposition: FailureDisposition, now: Date
    ) throws(TransitionError) -> Transfer {
        let next: TransferState
        let retryAt: Date?
        switch disposition {
        case .retry(let at): (next, retryAt) = (.failed, at)
        case .dead: (next, retryAt) = (.dead, nil)
        }
        var failed = try settle(transfer, to: next, now: now)
        failed.lastError = reason
        failed.lastStatus = status
        failed.nextAttemptAt = retryAt
        if let remoteId { failed.remoteId = remoteId }
        return failed
    }

    /// An operator's retry: a failed or dead transfer back to `pending`, due now; nil for any other.
    public static func operatorRetry(_ transfer: Transfer, now: Date) -> Transfer? {
        guard transfer.state == .failed || transfer.state == .dead else { return nil }
        var pending = transfer
        pending.state = .pending
        pending.nextAttemptAt = nil
        pending.updatedAt = now
        pending.horizonStart = now
        return pending
    }

    /// The history row of the attempt that just settled `transfer`, sent by `owner` under the transfer's claim.
    public static func attempt(of transfer: Transfer, by owner: String?, log: AttemptLog, status: Int?) -> Attempt {
        Attempt(
            transferId: transfer.id ?? 0, number: transfer.attempts, startedAt: log.startedAt, durationMs: log.durationMs,
            status: status, outcome: log.outcome, excerpt: log.excerpt, owner: owner, fence: transfer.fence)
    }

    /// A transfer whose key is journaled already with another payload (an event id the back office
    /// sent twice with different bodies), made a dead transfer of its own: keyed by the key and a hash
    /// of its payload, with a reason that says what happened. An operator reads both and decides.
    public static func conflictingDuplicate(_ transfer: Transfer, now: Date) -> Transfer {
        var duplicate = transfer
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in transfer.payload.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        duplicate.idempotencyKey = TransferKey.conflictingDuplicate(of: transfer.idempotencyKey, payloadHash: hash)
        duplicate.state = .dead
        duplicate.lastError =
            "conflict: the key \(transfer.idempotencyKey) was journaled before with another body; this body is kept here, not applied. Compare both (sopd journal show); sopd journal retry applies this one."
        duplicate.updatedAt = now
        return duplicate
    }

    /// The end of an attempt: the lease is released.
    private static func settle(_ transfer: Transfer, to next: TransferState, now: Date) throws(TransitionError) -> Transfer {
        guard transfer.state.canMove(to: next) else {
            throw TransitionError(
                "transfer \(transfer.id ?? 0) (\(transfer.orderNumber)) cannot go from \(transfer.state) to \(next)")
        }
        var settled = transfer
        settled.state = next
        settled.updatedAt = now
        settled.leaseOwner = nil
        settled.leaseUntil = nil
        return settled
    }
}
