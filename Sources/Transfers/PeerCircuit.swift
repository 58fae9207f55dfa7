import Foundation

/// The circuit of one peer, pure. While the peer answers, every transfer goes (`go`). After a retryable
/// failure the circuit opens: the transfers that need the peer are held, and one probe at a time goes,
/// spaced by the retry policy's backoff on the number of failures. When a probe succeeds the circuit
/// closes and what waited is due at once. What to log comes back as `News`: once when the peer starts
/// failing, reminders 5, 10, 20, 40 and then every 60 minutes, and once when it recovers.
public struct PeerCircuit: Sendable, Equatable {
    /// Whether a unit of work that needs the peer may go now.
    public enum Admission: Sendable, Equatable {
        /// The peer answers: go.
        case go
        /// The peer is failing and this is the one probe: go, and report how it ended.
        case probe
        /// The peer is failing and a probe is out or not due yet: wait.
        case hold(PeerOutage)
    }

    /// What the caller should tell the operator.
    public enum News: Sendable, Equatable {
        /// The peer just started failing.
        case startedFailing(PeerOutage)
        /// The peer still fails: a reminder.
        case stillFailing(PeerOutage)
        /// The peer answers again after an outage that lasted `seconds`.
        case recovered(PeerOutage, seconds: Double)
    }

    /// The first reminder after an outage starts; each next one waits twice as long, up to `longestReminderGap`.
    public static let firstReminderGap: Double = 300
    /// The longest wait between two reminders.
    public static let longestReminderGap: Double = 3600

    /// The peer.
    public let peer: Peer
    /// The outage under way, or nil while the peer answers.
    public private(set) var outage: PeerOutage?
    private var nextProbeAt: Date?
    private var probing = false
    private var nextReminderAt: Date?
    private var reminderGap = Self.firstReminderGap

    /// A circuit, closed unless `outage` says the peer was failing (as the journal remembers it); then
    /// the first unit of work is a probe.
    public init(peer: Peer, outage: PeerOutage? = nil) {
        self.peer = peer
        self.outage = outage
        if let outage {
            nextProbeAt = .distantPast
            nextReminderAt = outage.since.addingTimeInterval(Self.firstReminderGap)
        }
    }

    /// Whether work that needs the peer may go at `now`; a `probe` answer marks the probe as out.
    public mutating func admit(now: Date) -> Admission {
        guard let outage else { return .go }
        guard !probing, now >= (nextProbeAt ?? .distantPast) else { return .hold(outage) }
        probing = true
        return .probe
    }

    /// The peer answered (even with a refusal of one document: it is up).
    public mutating func succeeded(now: Date) -> News? {
        probing = false
        guard let outage else { return nil }
        self.outage = nil
        nextProbeAt = nil
        nextReminderAt = nil
        reminderGap = Self.firstReminderGap
        return .recovered(outage, seconds: now.timeIntervalSince(outage.since))
    }

    /// The peer failed as a peer that may answer later does (no connection, timeout, 5xx, 429).
    /// - Parameters:
    ///   - error: The error, free of secrets.
    ///   - now: The current time.
    ///   - probeAfter: Seconds until the next probe (the retry policy's backoff for this many failures).
    public mutating func failed(_ error: String, now: Date, probeAfter: Double) -> News? {
        probing = false
        nextProbeAt = now.addingTimeInterval(probeAfter)
        guard var outage else {
            let started = PeerOutage(peer: peer, since: now, failures: 1, lastError: error)
            outage = started
            nextReminderAt = now.addingTimeInterval(reminderGap)
            return .startedFailing(started)
        }
        outage.failures += 1
        outage.lastError = error
        self.outage = outage
        guard let reminder = nextReminderAt, now >= reminder else { return nil }
        reminderGap = min(reminderGap * 2, Self.longestReminderGap)
        nextReminderAt = now.addingTimeInterval(reminderGap)
        return .stillFailing(outage)
    }

    /// A probe ended without telling whether the peer answers (the journal failed first, say).
    public mutating func abandoned() {
        probing = false
    }
}
