import Daemon
import Foundation
import JSON
import Journal
import Sync
import Transfers

/// `sopd status`: the backlog, the oldest waiting transfer, the last successful cycle of each
/// direction and the cursors, and a verdict monitoring can act on.
public struct HealthReport: Sendable {
    /// The verdict, worst first.
    public enum Verdict: String, Sendable {
        /// Transfers are dead: they need an operator.
        case dead = "DEAD"
        /// A peer is failing: what needs it waits, and sopd probes it.
        case unavailable = "UNAVAILABLE"
        /// Transfers failed and wait for their retry (the same count that makes `--sync-now` exit 1).
        case failing = "FAILING"
        /// No successful cycle for too long (or never).
        case stale = "STALE"
        /// All well.
        case ok = "OK"

        /// The exit status: 0 ok, 1 something is dead or failed (as `--sync-now`), 2 the sync is stale,
        /// 3 a peer is unavailable.
        public var exitCode: Int32 {
            switch self {
            case .ok: 0
            case .dead, .failing: 1
            case .stale: 2
            case .unavailable: 3
            }
        }
    }

    /// Transfers per direction and state.
    public var counts: [TransferDirection: [TransferState: Int]]
    /// When the oldest transfer still waiting was journaled.
    public var oldestWaiting: Date?
    /// The last successful cycle per direction.
    public var lastSuccess: [TransferDirection: Date]
    /// The feed cursors.
    public var cursors: [(name: String, value: String, updatedAt: Date)]
    /// Submitted orders Dynamics held unread after the last outbound read, and when they were counted.
    public var unread: (count: Int, countedAt: Date)?
    /// Submitted orders `intake.filter` left out at the last outbound read, and when they were counted; nil without one.
    public var excluded: (count: Int, countedAt: Date)?
    /// The peers failing now, as the running sopd journaled them.
    public var outages: [PeerOutage]
    /// The sopd processes sharing the journal (one, unless several hosts share a PostgreSQL journal), by heartbeat.
    public var hosts: [JournalHost]
    /// The leases on work only one sopd does, such as reading the back office's change feed.
    public var leases: [WorkLease]
    /// The verdict.
    public var verdict: Verdict
    /// Why, one line per problem.
    public var problems: [String]
    /// When it was taken.
    public var now: Date

    /// Reads the journal and judges it.
    public init(journal: Journal, settings: OpsSettings, now: Date = Date()) throws(JournalError) {
        self.now = now
        counts = try journal.countsByDirectionAndState()
        oldestWaiting = try journal.oldestWaiting()
        var lastSuccess: [TransferDirection: Date] = [:]
        lastSuccess[.outbound] = try journal.checkpoint(.outbound)
        lastSuccess[.inbound] = try journal.checkpoint(.inbound)
        self.lastSuccess = lastSuccess
        cursors = try journal.cursors().filter { $0.name != Journal.unreadOrdersName && $0.name != Journal.excludedOrdersName }
        unread = try journal.unreadOrders()
        excluded = try journal.excludedOrders()
        outages = try journal.outages()
        hosts = try journal.hosts()
        leases = try journal.leases()
        var problems: [String] = []
        let backlog = try journal.backlog()
        let dead = backlog.dead
        if dead > 0 { problems.append("\(dead) transfer(s) dead: sopd journal list --state dead") }
        if backlog.failed > 0 {
            problems.append("\(backlog.failed) transfer(s) failed, waiting for a retry: sopd journal list --state failed")
        }
        for outage in outages {
            problems.append(
                "\(outage.peer.label) unavailable since \(outage.since.formatted(.iso8601)) (\(DurationText.age(now.timeIntervalSince(outage.since))), \(outage.failures) failed attempt(s)); last error: \(outage.lastError)"
            )
        }
        let limit = settings.intervalSeconds * Double(settings.staleAfterIntervals)
        var stale = false
        for direction in [TransferDirection.outbound, .inbound] {
            let name = direction == .outbound ? "outbound" : "inbound"
            guard let last = lastSuccess[direction] else {
                stale = true
                problems.append("no successful \(name) cycle yet")
                continue
            }
            if now.timeIntervalSince(last) > limit {
                stale = true
                problems.append(
                    "last successful \(name) cycle \(DurationText.age(now.timeIntervalSince(last))) ago, more than \(settings.staleAfterIntervals) intervals of \(Int(settings.intervalSeconds))s"
                )
            }
        }
        self.problems = problems
        // Stale before a peer's outage or a failed transfer: a sopd that stopped leaves both in the journal.
        verdict =
            if dead > 0 { .dead } else if stale { .stale } else if !outages.isEmpty { .unavailable } else if backlog.failed > 0 {
                .failing
            } else { .ok }
    }

    /// The report for people.
    public var text: String {
        var lines = ["sopd: \(verdict.rawValue)"]
        for problem in problems { lines.append("  ! \(problem)") }
        lines.append("")
        let states: [TransferState] = [.pending, .sending, .failed, .dead, .done]
        lines.append(
            TextTable.render(
                header: ["DIRECTION"] + states.map { $0.rawValue.uppercased() },
                rows: [TransferDirection.outbound, .inbound].map { direction in
                    [direction.rawValue] + states.map { String(counts[direction]?[$0] ?? 0) }
                }))
        lines.append("")
        lines.append(
            "not yet read: "
                + (unread.map { "\($0.count)\($0.count >= 5000 ? " or more" : "") submitted order(s) in Dynamics, counted \(DurationText.age(now.timeIntervalSince($0.countedAt))) ago" }
                    ?? "not counted yet"))
        if let excluded {
            lines.append(
                "left out by intake.filter: \(excluded.count) submitted order(s) in Dynamics, counted \(DurationText.age(now.timeIntervalSince(excluded.countedAt))) ago; they are never sent while the filter leaves them out")
        }
        lines.append("oldest waiting: " + (oldestWaiting.map { DurationText.age(now.timeIntervalSince($0)) + " ago" } ?? "none"))
        for direction in [TransferDirection.outbound, .inbound] {
            let label = direction == .outbound ? "last successful cycle out:" : "last successful cycle in: "
            lines.append("\(label) " + (lastSuccess[direction].map { "\(DurationText.age(now.timeIntervalSince($0))) ago (\($0.formatted(.iso8601)))" } ?? "never"))
        }
        for cursor in cursors {
            lines.append("cursor \(cursor.name): \(cursor.value), moved \(DurationText.age(now.timeIntervalSince(cursor.updatedAt))) ago")
        }
        for lease in leases {
            let ends = lease.until > now ? "ends in \(DurationText.age(lease.until.timeIntervalSince(now)))" : "ended \(DurationText.age(now.timeIntervalSince(lease.until))) ago"
            lines.append("lease \(lease.name): \(lease.owner), token \(lease.fence), \(ends) unless renewed")
        }
        if !hosts.isEmpty {
            lines.append("")
            lines.append(
                TextTable.render(
                    header: ["HOST", "VERSION", "SEEN", "SENDING", "LEASES END"],
                    rows: hosts.map { host in
                        [
                            host.owner, host.version, "\(DurationText.age(now.timeIntervalSince(host.seenAt))) ago", String(host.transfersLeased),
                            host.transferLeasesUntil.map { $0 > now ? "in \(DurationText.age($0.timeIntervalSince(now)))" : "\(DurationText.age(now.timeIntervalSince($0))) ago" } ?? "-",
                        ]
                    }))
        }
        return lines.joined(separator: "\n")
    }

    /// The report for scripts.
    public var json: JSONValue {
        var backlog: [String: JSONValue] = [:]
        for direction in [TransferDirection.outbound, .inbound] {
            var states: [String: JSONValue] = [:]
            for state in TransferState.allCases { states[state.rawValue] = .int(counts[direction]?[state] ?? 0) }
            backlog[direction.rawValue] = .object(states)
        }
        let date = { (value: Date?) in value.map { JSONValue.string($0.formatted(.iso8601)) } ?? .null }
        return [
            "verdict": .string(verdict.rawValue), "problems": .array(problems.map(JSONValue.string)),
            "backlog": .object(backlog),
            "unreadOrders": unread.map { .int($0.count) } ?? .null,
            "excludedOrders": excluded.map { .int($0.count) } ?? .null,
            "oldestWaitingSeconds": oldestWaiting.map { .int(Int(now.timeIntervalSince($0))) } ?? .null,
            "outages": .array(
                outages.map { outage in
                    [
                        "peer": .string(outage.peer.rawValue), "since": .string(outage.since.formatted(.iso8601)),
                        "failures": .int(outage.failures), "lastError": .string(outage.lastError),
                    ]
                }),
            "lastSuccess": .object(Dictionary(uniqueKeysWithValues: [TransferDirection.outbound, .inbound].map { ($0.rawValue, date(lastSuccess[$0])) })),
            "cursors": .object(
                Dictionary(uniqueKeysWithValues: cursors.map { ($0.name, JSONValue.string($0.value)) })),
            "leases": .array(
                leases.map { lease in
                    ["name": .string(lease.name), "owner": .string(lease.owner), "fence": .int(Int(lease.fence)), "until": date(lease.until)]
                }),
            "hosts": .array(
                hosts.map { host in
                    [
                        "owner": .string(host.owner), "version": .string(host.version), "startedAt": date(host.startedAt),
                        "seenAt": date(host.seenAt), "transfersLeased": .int(host.transfersLeased), "transferLeasesUntil": date(host.transferLeasesUntil),
                    ]
                }),
        ]
    }
}
