import Foundation
import Transfers

/// A lease probe that answers from a table: host `here` is this host, where `alive` pids live.
struct TableProbe: LeaseProbe {
    var alive: Set<Int32> = []

    func isAlive(_ owner: TransferOwner) -> Bool? {
        owner.host == "here" ? alive.contains(owner.pid) : nil
    }
}

/// The moment every test starts at.
let start = Date(timeIntervalSince1970: 1_800_000_000)

/// A journaled transfer in `state`, as the journal would hold it.
func transfer(
    _ state: TransferState = .pending, id: Int64 = 7, attempts: Int = 0, nextAttemptAt: Date? = nil,
    leaseOwner: String? = nil, leaseUntil: Date? = nil
) -> Transfer {
    var transfer = Transfer(
        direction: .outbound, orderId: "d1", orderNumber: "SO-01001", idempotencyKey: "out:d1:2026-11-28", payload: "{}",
        now: start)
    transfer.id = id
    transfer.state = state
    transfer.attempts = attempts
    transfer.nextAttemptAt = nextAttemptAt
    transfer.leaseOwner = leaseOwner
    transfer.leaseUntil = leaseUntil
    transfer.lastError = state == .failed || state == .dead ? "back office: server error (HTTP 503)" : nil
    return transfer
}
