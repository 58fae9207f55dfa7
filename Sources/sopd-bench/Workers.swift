import Dispatch
import Foundation

/// Work spread over threads as sopd's outbound workers spread it: each worker a serial queue of its own (a
/// serial queue gets a thread at once), taking the next index until none is left or one failed.
enum Workers {
    /// Runs `body` for each index below `count`, `concurrency` at a time, and throws the first failure.
    static func run(_ count: Int, concurrency: Int, label: String, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        let lock = NSLock()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var failure: (any Error)?
        let group = DispatchGroup()
        for worker in 0..<min(max(1, concurrency), count) {
            DispatchQueue(label: "sopd-bench.\(label).\(worker)").async(group: group) {
                while let index: Int = lock.withLock({ () -> Int? in
                    guard next < count, failure == nil else { return nil }
                    defer { next += 1 }
                    return next
                }) {
                    do { try body(index) } catch { lock.withLock { failure = failure ?? error } }
                }
            }
        }
        group.wait()
        if let failure { throw failure }
    }
}
