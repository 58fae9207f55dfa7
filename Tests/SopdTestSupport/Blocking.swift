import Dispatch

/// Runs blocking work (libcurl, SQLite, process waits) on a Dispatch queue and suspends until it
/// ends, so tests never block a Swift-concurrency thread that the in-process emulators need.
/// A serial queue of its own gets a thread at once, where the global queue may wait for one.
public func onDispatchQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue(label: "test.blocking").async {
            continuation.resume(with: Result { try body() })
        }
    }
}
