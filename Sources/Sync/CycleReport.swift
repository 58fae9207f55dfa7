import Dataverse
import Journal
import Transfers

/// What one sync cycle did, order by order.
public struct CycleReport: Sendable {
    /// An order the back office now has.
    public struct Delivery: Sendable {
        /// The Dynamics order number.
        public var orderNumber: String
        /// The back-office order id.
        public var backOfficeId: String
        /// Whether the back office answered a replay (it had the order from an earlier attempt).
        public var replayed: Bool
    }

    /// An order that did not go through this time; it waits in the journal.
    public struct Failure: Sendable {
        /// The Dynamics order number.
        public var orderNumber: String
        /// Why, free of secrets.
        public var reason: String
        /// Whether the peer could not be reached at all.
        public var peerUnavailable: Bool
    }

    /// An order read but left alone.
    public struct Skip: Sendable {
        /// The Dynamics order number.
        public var orderNumber: String
        /// Why it was left alone.
        public var reason: String
    }

    /// How the cycle ended, for exit codes and health.
    public enum Outcome: Sendable, Equatable {
        /// Everything read was delivered.
        case allDone
        /// Some transfers failed and wait in the journal.
        case someFailed
        /// Dataverse could not be reached, so nothing was read.
        case dataverseUnavailable
        /// Dataverse refused or failed the read.
        case readFailed
        /// The identity platform refused sopd's client id or secret: a misconfiguration.
        case credentialsRefused
        /// sopd refused to pull changes back: the acting user is not an integration user, or the switch is off.
        case inboundRefused

        /// How a cycle ends when Dataverse could not be read, or any other Dataverse call failed.
        public init(readError: DataverseError) {
            switch readError.code {
            case .unavailable: self = .dataverseUnavailable
            case .credentialsRefused: self = .credentialsRefused
            default: self = .readFailed
            }
        }
    }

    /// Orders delivered.
    public var delivered: [Delivery] = []
    /// Orders that failed.
    public var failed: [Failure] = []
    /// Orders left alone.
    public var skipped: [Skip] = []
    /// Why the orders could not be read, if they could not.
    public var readError: DataverseError?
    /// Pages of submitted orders read.
    public var pagesRead = 0
    /// Whether the cycle gave its turn up with work left (its time slice ended): the daemon runs the next at once.
    public var cutShort = false
    /// Seconds the cycle took.
    public var duration = 0.0
    /// The inbound half: the back office's changes applied to Dynamics.
    public var inbound = InboundReport()
    /// What the journal holds after the cycle that still needs something to happen, this cycle's or earlier ones'.
    public var backlog = JournalBacklog()
    /// The peers failing when the cycle ended.
    public var outages: [PeerOutage] = []

    /// Creates an empty report.
    public init() {}

    /// How the cycle ended.
    public var outcome: Outcome {
        if let readError { return Outcome(readError: readError) }
        if inbound.refusal != nil { return .inboundRefused }
        let clean = failed.isEmpty && inbound.failed.isEmpty && inbound.readError == nil && !backlog.needsAttention
        return clean ? .allDone : .someFailed
    }

    /// Whether the outbound half succeeded: Dynamics was read, no delivery failed for want of a peer,
    /// and no peer is failing. A cycle whose deliveries all wait for a failing back office is no success.
    public var outboundSucceeded: Bool {
        readError == nil && !failed.contains { $0.peerUnavailable } && outages.isEmpty
    }

    /// Whether the inbound half succeeded: sopd may write back, the feed was read, and no peer is failing.
    public var inboundSucceeded: Bool {
        inbound.refusal == nil && inbound.readError == nil && outages.isEmpty
    }

    /// Whether the cycle is worth a line at notice: something was delivered or applied, or something
    /// failed while every peer answered. A cycle that did nothing, or whose failures a failing peer's
    /// circuit already tells, is a debug line.
    public var isNoteworthy: Bool {
        if !delivered.isEmpty || !inbound.applied.isEmpty { return true }
        let failures = !failed.isEmpty || !inbound.failed.isEmpty || readError != nil || inbound.readError != nil
        return failures && outages.isEmpty
    }

    /// One line for people and logs, such as
    /// `sync: 8 delivered, 1 failed, 1 skipped; back office: 5 changes applied, 0 failed in 0.21s; journal: 1 waiting, 0 dead`.
    public var summary: String {
        var text = "sync: \(delivered.count) delivered, \(failed.count) failed, \(skipped.count) skipped"
        text += "; back office: \(inbound.applied.count) changes applied, \(inbound.failed.count) failed"
        if !inbound.waiting.isEmpty { text += ", \(inbound.waiting.count) waiting" }
        text += " in " + String(format: "%.2fs", duration)
        if backlog.waiting > 0 || backlog.dead > 0 {
            text += "; journal: \(backlog.waiting) waiting, \(backlog.dead) dead"
        }
        if let readError { text += "; could not read submitted orders: \(readError)" }
        if let refusal = inbound.refusal { text += "; not pulling changes back: \(refusal)" }
        if let error = inbound.readError { text += "; could not read the back office's changes: \(error)" }
        return text
    }
}
