import Daemon
import Foundation
import JSON
import PeerText
import Journal
import Sync
import Transfers

/// What `sopd journal …` does, on the journal alone: no network, safe while the daemon runs.
public struct JournalOps: Sendable {
    /// The journal the commands work on.
    public let journal: Journal

    /// Creates the commands over an open journal.
    public init(journal: Journal) {
        self.journal = journal
    }

    /// `sopd journal list`: the transfers matching `filter`, as a table or JSON lines.
    public func list(_ filter: TransferFilter, json: Bool, now: Date = Date()) throws(JournalError) -> String {
        let transfers = try journal.transfers(matching: filter)
        if json { return transfers.map { Self.json($0).jsonText }.joined(separator: "\n") }
        guard !transfers.isEmpty else { return "no transfers match" }
        return TextTable.render(
            header: ["ID", "DIR", "ORDER", "STATE", "ATTEMPTS", "UPDATED", "DETAIL"],
            rows: transfers.map { transfer in
                [
                    String(transfer.id ?? 0), transfer.direction.rawValue, transfer.orderNumber, transfer.state.rawValue,
                    String(transfer.attempts), DurationText.age(now.timeIntervalSince(transfer.updatedAt)) + " ago",
                    Self.detail(transfer, now: now),
                ]
            })
    }

    private static func detail(_ transfer: Transfer, now: Date) -> String {
        switch transfer.state {
        case .done where transfer.direction == .inbound:
            let type = (try? JSONParser.parse(transfer.payload))?["type"]?.stringValue ?? "event"
            return "\(type) (\(TransferKey.eventId(inbound: transfer.idempotencyKey) ?? transfer.idempotencyKey)) applied"
        case .done: return transfer.remoteId.map { "back office id \($0)" } ?? ""
        case .failed:
            let next = transfer.nextAttemptAt.map { " (next attempt in \(DurationText.age($0.timeIntervalSince(now))))" } ?? ""
            return String((transfer.lastError ?? "").prefix(100)) + next
        case .dead: return String((transfer.lastError ?? "").prefix(120))
        case .sending: return "by \(transfer.leaseOwner ?? "?")"
        case .pending: return transfer.sequence.map { "event \($0) of the feed" } ?? "waits for the next cycle"
        }
    }

    /// `sopd journal show ID`: the transfer, its payload and every attempt.
    public func show(_ id: Int64, json: Bool) throws(JournalError) -> String {
        guard let transfer = try journal.transfer(id: id) else {
            throw JournalError("no transfer \(id); sopd journal list shows the ids")
        }
        let attempts = try journal.attempts(of: id)
        if json {
            var object = Self.json(transfer).objectValue ?? [:]
            object["payload"] = (try? JSONParser.parse(transfer.payload)) ?? .string(transfer.payload)
            object["attempts"] = .array(attempts.map(Self.json))
            return JSONValue.object(object).jsonText
        }
        var lines = [
            "transfer \(id): \(transfer.direction == .outbound ? "out to the back office" : "in from the back office"), order \(transfer.orderNumber)",
            "  state:      \(transfer.state.rawValue) after \(transfer.attempts) attempt(s)",
            "  key:        \(transfer.idempotencyKey)",
            "  order id:   \(transfer.orderId)",
        ]
        if let remote = transfer.remoteId { lines.append("  back office id: \(remote)") }
        if let error = transfer.lastError { lines.append("  last error: \(error)") }
        if let next = transfer.nextAttemptAt { lines.append("  next attempt: \(next.formatted(.iso8601))") }
        lines.append("  journaled:  \(transfer.createdAt.formatted(.iso8601)), last change \(transfer.updatedAt.formatted(.iso8601))")
        lines.append("  payload:    \(transfer.payload)")
        lines = lines.map(PeerText.shown)
        lines.append("")
        lines.append(
            attempts.isEmpty
                ? "no attempts yet"
                : TextTable.render(
                    header: ["#", "STARTED", "MS", "STATUS", "OUTCOME", "EXCERPT"],
                    rows: attempts.map {
                        [
                            String($0.number), $0.startedAt.formatted(.iso8601), String($0.durationMs),
                            $0.status.map(String.init) ?? "-", $0.outcome, String(($0.excerpt ?? "").prefix(100)),
                        ]
                    }))
        return lines.joined(separator: "\n")
    }

    /// What `sopd journal retry` did: the transfers it put back to pending, and those it could not.
    public struct RetryResult: Sendable {
        /// Put back to pending, due now.
        public var moved: [Int64]
        /// Left alone: neither failed nor dead, with the state each is in.
        public var notRetryable: [(id: Int64, state: TransferState)]
        /// No transfer has these ids.
        public var unknown: [Int64]

        /// Whether every transfer asked for went back to pending.
        public var isComplete: Bool { notRetryable.isEmpty && unknown.isEmpty }

        /// What was done, one line.
        public var text: String {
            moved.isEmpty ? "nothing to retry" : "back to pending, sent on the next cycle: \(moved.map(String.init).joined(separator: ", "))"
        }

        /// What could not be done, one line each; empty when complete.
        public var problems: [String] {
            var lines: [String] = []
            if !unknown.isEmpty {
                lines.append("no such transfer: \(unknown.map(String.init).joined(separator: ", ")) (sopd journal list shows the ids)")
            }
            if !notRetryable.isEmpty {
                let listed = notRetryable.map { "\($0.id) (\($0.state.rawValue))" }.joined(separator: ", ")
                lines.append("not retried, only a failed or dead transfer can be: \(listed)")
            }
            return lines
        }
    }

    /// `sopd journal retry`: failed or dead transfers back to pending, due now.
    public func retry(_ ids: [Int64], allDead: Bool) throws(JournalError) -> RetryResult {
        let targets = allDead ? try journal.transfers(matching: TransferFilter(state: .dead, limit: Int.max)).compactMap(\.id) : ids
        let moved = try journal.retry(targets)
        var result = RetryResult(moved: moved, notRetryable: [], unknown: [])
        for id in Set(targets).subtracting(moved).sorted() {
            if let transfer = try journal.transfer(id: id) {
                result.notRetryable.append((id, transfer.state))
            } else {
                result.unknown.append(id)
            }
        }
        return result
    }

    /// `sopd journal resync --order`: journals the order's last sent document again as a new version
    /// with a new idempotency key; the next cycle sends it and stamps the order.
    public func resync(orderNumber: String) throws(JournalError) -> Transfer {
        guard
            let latest = try journal.transfers(matching: TransferFilter(direction: .outbound, orderNumber: orderNumber, limit: 1))
                .first, let latestId = latest.id
        else {
            throw JournalError("sopd never sent \(orderNumber); only an order it sent can be sent again")
        }
        guard latest.state == .done || latest.state == .dead else {
            throw JournalError("\(orderNumber) is \(latest.state.rawValue) in transfer \(latestId); wait for it, or retry it")
        }
        try journal.markReturned(transferId: latestId)
        let submitted = (try? JSONParser.parse(latest.payload))?["submittedAt"]?.stringValue
        let key = TransferKey.outbound(
            orderId: latest.orderId, submitDate: submitted,
            returnedVersions: try journal.returnedVersions(orderId: latest.orderId))
        return try journal.record(
            Transfer(
                direction: .outbound, orderId: latest.orderId, orderNumber: orderNumber, idempotencyKey: key,
                payload: latest.payload, now: journal.clock.now()))
    }

    static func json(_ transfer: Transfer) -> JSONValue {
        let date = { (value: Date?) in value.map { JSONValue.string($0.formatted(.iso8601)) } ?? .null }
        return [
            "id": .int(Int(transfer.id ?? 0)), "direction": .string(transfer.direction.rawValue),
            "orderId": .string(transfer.orderId), "orderNumber": .string(transfer.orderNumber),
            "idempotencyKey": .string(transfer.idempotencyKey), "state": .string(transfer.state.rawValue),
            "attempts": .int(transfer.attempts), "lastError": transfer.lastError.map(JSONValue.string) ?? .null,
            "lastStatus": transfer.lastStatus.map(JSONValue.int) ?? .null,
            "remoteId": transfer.remoteId.map(JSONValue.string) ?? .null, "nextAttemptAt": date(transfer.nextAttemptAt),
            "createdAt": date(transfer.createdAt), "updatedAt": date(transfer.updatedAt),
        ]
    }

    static func json(_ attempt: Attempt) -> JSONValue {
        [
            "number": .int(attempt.number), "startedAt": .string(attempt.startedAt.formatted(.iso8601)),
            "durationMs": .int(attempt.durationMs), "status": attempt.status.map(JSONValue.int) ?? .null,
            "outcome": .string(attempt.outcome), "excerpt": attempt.excerpt.map(JSONValue.string) ?? .null,
        ]
    }
}
