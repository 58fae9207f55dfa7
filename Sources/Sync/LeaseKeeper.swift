import Dispatch
import Journal
import Logging

/// Renews this process's claims and work leases in the journal every third of a lease, on a queue of its own so that a
/// long cycle does not hold it up: what this sopd is doing stays its own however long it takes, and becomes another's
/// one lease after this sopd stops renewing (it died, is paused, or lost the journal). Stops when released. The timer is
/// only set up here and cancelled at the end (hence unchecked Sendable).
final class LeaseKeeper: @unchecked Sendable {
    private let timer: any DispatchSourceTimer

    init(journal: Journal, logger: Logger) {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "sopd.leases"))
        let every = max(journal.leaseSeconds / 3, 0.5)
        timer.schedule(deadline: .now() + every, repeating: every, leeway: .milliseconds(100))
        timer.setEventHandler {
            do { try journal.renewLeases() } catch {
                logger.warning("cannot renew this sopd's claims in the journal; another sopd takes them over when they run out", metadata: ["error": "\(error)"])
            }
        }
        timer.resume()
        self.timer = timer
    }

    deinit { timer.cancel() }
}
