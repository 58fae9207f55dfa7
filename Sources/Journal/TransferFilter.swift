import Foundation
import Transfers

/// Which transfers `Journal.transfers(matching:)` lists.
public struct TransferFilter: Sendable {
    /// Only this state.
    public var state: TransferState?
    /// Only this direction.
    public var direction: TransferDirection?
    /// Only this Dynamics order number.
    public var orderNumber: String?
    /// Only transfers changed since then.
    public var since: Date?
    /// At most this many.
    public var limit: Int

    /// Creates a filter; by default the 50 newest transfers.
    public init(
        state: TransferState? = nil, direction: TransferDirection? = nil, orderNumber: String? = nil, since: Date? = nil,
        limit: Int = 50
    ) {
        self.state = state
        self.direction = direction
        self.orderNumber = orderNumber
        self.since = since
        self.limit = limit
    }
}
