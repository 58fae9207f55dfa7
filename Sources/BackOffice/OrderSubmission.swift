import Foundation

/// One attempt to deliver one version of an order, as the outbound pipeline hands it to a `BackOfficeAdapter`.
public struct OrderSubmission: Sendable {
    /// The canonical order document (contract v1), as the journaled JSON text: the same bytes on every attempt.
    public var document: [UInt8]
    /// The key of this version of the order; contract v1 sends it as `Idempotency-Key`.
    public var idempotencyKey: String
    /// The Dynamics order number, for errors and logs.
    public var orderNumber: String
    /// When an earlier attempt journaled that it was about to send a create, or nil: a back office without
    /// idempotency keys may hold that order already.
    public var createSentAt: Date?
    /// The back office's ids of the earlier versions of this order it gave back (rejected, deleted): a lookup that
    /// finds them has not found this version.
    public var returnedRemoteIds: Set<String>
    /// Journals that a create is about to go out, before it goes out. Throws `BackOfficeError.Code.withdrawn` when
    /// the claim was lost, `unjournaled` when the journal fails: the create is then not sent.
    public var beforeCreate: @Sendable () throws(BackOfficeError) -> Void

    /// Creates a submission.
    public init(
        document: [UInt8], idempotencyKey: String, orderNumber: String, createSentAt: Date? = nil, returnedRemoteIds: Set<String> = [],
        beforeCreate: @escaping @Sendable () throws(BackOfficeError) -> Void = {}
    ) {
        self.document = document
        self.idempotencyKey = idempotencyKey
        self.orderNumber = orderNumber
        self.createSentAt = createSentAt
        self.returnedRemoteIds = returnedRemoteIds
        self.beforeCreate = beforeCreate
    }
}
