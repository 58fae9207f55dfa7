import Foundation

/// A value shared across threads (a fake peer's handlers and the test), behind a lock.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    /// Creates the box holding `value`.
    public init(_ value: Value) { stored = value }

    /// The value.
    public var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }

    /// Changes the value and returns what `body` returns, in one step.
    public func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.withLock { body(&stored) }
    }
}
