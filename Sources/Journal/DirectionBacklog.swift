import Foundation
import Transfers

/// What the journal holds for one direction that still needs something to happen, for the metrics.
public struct DirectionBacklog: Sendable, Equatable {
    /// Transfers by state: pending, sending, failed, and dead ones waiting for an operator (a refused
    /// order returned to its salesperson is not counted).
    public var counts: [TransferState: Int] = [:]
    /// When the oldest transfer still waiting to go (pending, sending or failed) was journaled, or nil.
    public var oldestWaiting: Date?

    /// Creates an empty backlog.
    public init() {}
}
