import Foundation

/// One row of the journal: one version of one order going one way, with its idempotency key,
/// payload, state and the outcome of its last attempt.
public struct Transfer: Sendable, Equatable, Codable {
    /// The row id, assigned when journaled.
    public var id: Int64?
    /// Which way it goes.
    public var direction: TransferDirection
    /// The Dynamics `salesorderid`.
    public var orderId: String
    /// The Dynamics order number, such as `SO-01001`.
    public var orderNumber: String
    /// The key that makes re-sending safe; stable for one version of an order.
    public var idempotencyKey: String
    /// The document sent, as JSON text.
    public var payload: String
    /// Where the transfer is.
    public var state: TransferState
    /// How many attempts were started.
    public var attempts: Int
    /// Why the last attempt failed, with secrets removed.
    public var lastError: String?
    /// The HTTP status of the last answer, if there was one.
    public var lastStatus: Int?
    /// The peer's id for the document, such as the back-office order id.
    public var remoteId: String?
    /// The position of an inbound event in the back office's feed, which is the order it is applied in.
    public var sequence: Int?
    /// When the next attempt is due, for a failed transfer.
    public var nextAttemptAt: Date?
    /// The process sending it (`host:pid`), while it is `sending`.
    public var leaseOwner: String?
    /// When the sender's claim ends if the sender cannot be checked (another host).
    public var leaseUntil: Date?
    /// The fencing token of the latest claim: one more on every claim. An outcome is stored only under the
    /// claim it was sent under, so a sopd that lost its lease (paused, partitioned) cannot overwrite a newer claim's.
    public var fence: Int64
    /// When the back office returned (rejected or deleted) the order this outbound transfer delivered.
    public var returnedAt: Date?
    /// How many times a write of this transfer met a row changed since it was read (HTTP 412) and was re-applied.
    public var conflicts: Int
    /// Where its give-up horizon starts when not at `createdAt`: an operator's retry, or a journal
    /// migration that brought it back, starts it anew.
    public var horizonStart: Date?
    /// When an attempt last journaled that it was about to send a create to a back office that keeps no idempotency
    /// keys (`http-mapping`, `business-central`): the next attempt looks the order up before it creates it again.
    public var createSentAt: Date?
    /// When it was journaled.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date

    /// A new pending transfer, journaled at `now`.
    public init(
        direction: TransferDirection, orderId: String, orderNumber: String, idempotencyKey: String, payload: String,
        sequence: Int? = nil, now: Date
    ) {
        self.direction = direction
        self.orderId = orderId
        self.orderNumber = orderNumber
        self.idempotencyKey = idempotencyKey
        self.payload = payload
        self.state = .pending
        self.attempts = 0
        self.sequence = sequence
        self.conflicts = 0
        self.fence = 0
        self.createdAt = now
        self.updatedAt = now
    }
}
