import Dispatch
import Foundation
import Transfers

/// Holds a peer's requests to its `ConcurrencyLimit`: `run` waits while the limit is in flight, times the request
/// on the monotonic clock and tells the limit how it went. Blocking: Dispatch threads only.
final class ConcurrencyLimiter: @unchecked Sendable {
    private let condition = NSCondition()
    private var limit: ConcurrencyLimit
    private var inFlight = 0

    init(_ limit: ConcurrencyLimit) {
        self.limit = limit
    }

    /// Requests that may be in flight now.
    var current: Int { condition.withLock { limit.current } }

    /// Runs `request` once fewer than the limit are in flight; `dropped` says which failures are the peer's
    /// overload (a timeout, a lost connection, 429, 5xx) rather than an answer.
    func run<T, E: Error>(_ request: () throws(E) -> T, dropped: (E) -> Bool) throws(E) -> T {
        condition.lock()
        while inFlight >= limit.current { condition.wait() }
        inFlight += 1
        let concurrent = inFlight
        condition.unlock()
        let started = DispatchTime.now()
        let result = Result { () throws(E) -> T in try request() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let drop = if case .failure(let error) = result { dropped(error) } else { false }
        condition.withLock {
            inFlight -= 1
            limit.record(seconds: seconds, inFlight: concurrent, dropped: drop)
            // Wake as many as may go now: one for the slot freed, all when the limit grew. Waking every waiter on
            // each answer (32 workers) cost more CPU than the requests.
            let free = limit.current - inFlight
            if free > 1 { condition.broadcast() } else if free == 1 { condition.signal() }
        }
        return try result.get()
    }
}
