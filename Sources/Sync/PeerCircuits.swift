import BackOffice
import Clocks
import Dataverse
import Foundation
import Journal
import Logging
import Transfers

/// The circuits of both peers for one engine (`PeerCircuit` decides; this keeps them behind a lock,
/// records each outage in the journal, and logs what the circuit says to log). Both pipelines ask it
/// before any work that needs a peer, and tell it how the work ended.
final class PeerCircuits: @unchecked Sendable {
    private let lock = NSLock()
    /// Held while a circuit's state is written to the journal, so that the row always ends as the
    /// circuit's latest state even when a failure and a success of two workers race.
    private let persisting = NSLock()
    private var circuits: [Peer: PeerCircuit]
    private let journal: Journal
    private let policy: RetryPolicy
    private let random: any RandomSource
    private let logger: Logger

    /// Circuits that start as the journal remembers them: a peer failing when sopd stopped is probed first.
    init(journal: Journal, policy: RetryPolicy, random: any RandomSource, logger: Logger) {
        self.journal = journal
        self.policy = policy
        self.random = random
        self.logger = logger
        let known = (try? journal.outages()) ?? []
        circuits = Dictionary(
            uniqueKeysWithValues: Peer.allCases.map { peer in
                (peer, PeerCircuit(peer: peer, outage: known.first { $0.peer == peer }))
            })
    }

    /// Whether work that needs `peer` may go now.
    func admit(_ peer: Peer) -> PeerCircuit.Admission {
        let now = journal.clock.now()
        return update(peer) { $0.admit(now: now) }
    }

    /// `peer` answered.
    func succeeded(_ peer: Peer) {
        let now = journal.clock.now()
        let news = update(peer) { $0.succeeded(now: now) }
        guard case .recovered(let outage, let seconds) = news else { return }
        persist(peer)
        do {
            try journal.makeFailedTransfersDue()
        } catch {
            logger.error("cannot make what waited due in the journal", metadata: ["peer": "\(peer.rawValue)", "error": "\(error)"])
        }
        logger.notice(
            "\(peer.label) answers again; what waited for it goes now",
            metadata: [
                "peer": "\(peer.rawValue)", "down_s": .stringConvertible(Int(seconds)), "failures": .stringConvertible(outage.failures),
                "waiting": .stringConvertible((try? journal.backlog().waiting) ?? 0),
            ])
    }

    /// `peer` failed as a peer that may answer later does; `error` is free of secrets. The next probe
    /// waits the retry policy's backoff, and at least what the peer's `Retry-After` asked.
    func failed(_ peer: Peer, error: String, retryAfter: Double? = nil) {
        let now = journal.clock.now()
        let news = update(peer) { circuit in
            let backoff = policy.backoff(after: (circuit.outage?.failures ?? 0) + 1, random: random.unit())
            return circuit.failed(error, now: now, probeAfter: max(backoff, retryAfter ?? 0))
        }
        persist(peer)
        switch news {
        case .startedFailing(let outage):
            logger.warning(
                "\(peer.label) is unavailable: sopd holds what needs it and probes it, one request at a time",
                metadata: ["peer": "\(peer.rawValue)", "error": "\(outage.lastError)"])
        case .stillFailing(let outage):
            logger.warning(
                "\(peer.label) is still unavailable",
                metadata: [
                    "peer": "\(peer.rawValue)", "failing_since": "\(outage.since.formatted(.iso8601))",
                    "failures": .stringConvertible(outage.failures), "waiting": .stringConvertible((try? journal.backlog().waiting) ?? 0),
                    "error": "\(outage.lastError)",
                ])
        case .recovered, nil:
            break
        }
    }

    /// Tells the circuit of `peer` how a step that needed it ended. A peer's retryable failure (no
    /// connection, timeout, 5xx, 429) is the peer failing; no error, or any answer (even a refusal of one
    /// document), is the peer up; any other error (the journal's, say) says nothing of the peer.
    func ended(_ peer: Peer, with errors: [any Error]) {
        var answered = true
        for error in errors {
            // A request a stop kept from going says nothing of the peer.
            guard error is BackOfficeError || (error as? DataverseError).map({ $0.code != .stopping }) == true else {
                answered = false
                continue
            }
            if case .retryable(let retryAfter) = FailureClass(any: error) {
                failed(peer, error: "\(error)", retryAfter: retryAfter)
                return
            }
        }
        if answered { succeeded(peer) } else { abandoned(peer) }
    }

    /// Runs `body` on the circuit of `peer` under the lock.
    private func update<T>(_ peer: Peer, _ body: (inout PeerCircuit) -> T) -> T {
        lock.withLock { body(&circuits[peer, default: PeerCircuit(peer: peer)]) }
    }

    /// Writes the circuit's state as it is now: the outage, or none.
    private func persist(_ peer: Peer) {
        persisting.withLock {
            do {
                if let outage = outage(of: peer) { try journal.record(outage) } else { try journal.endOutage(of: peer) }
            } catch {
                logger.error("cannot record the peer's state in the journal", metadata: ["peer": "\(peer.rawValue)", "error": "\(error)"])
            }
        }
    }

    /// A probe of `peer` ended before it reached the peer.
    func abandoned(_ peer: Peer) {
        update(peer) { $0.abandoned() }
    }

    /// The outage of `peer` under way, or nil while it answers.
    func outage(of peer: Peer) -> PeerOutage? {
        lock.withLock { circuits[peer]?.outage }
    }

    /// Whether `peer` was failing already before its latest failure: that failure is then the circuit's
    /// to tell (in its reminders), not a line of its own. The failure that opened the outage is not.
    func wasFailingBefore(_ peer: Peer) -> Bool {
        (outage(of: peer)?.failures ?? 0) > 1
    }

    /// The peers failing now.
    var outages: [PeerOutage] {
        lock.withLock { Peer.allCases.compactMap { circuits[$0]?.outage } }
    }
}
