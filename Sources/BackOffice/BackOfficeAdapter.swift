import HTTP

/// What sopd needs of a back office, whatever API it speaks: take an order, and tell what became of the orders it
/// took. `backoffice.adapter` chooses one: sopd's own contract v1 (`BackOfficeClient`, the default), a declarative
/// mapping onto an ERP's REST API (`HTTPMappingAdapter`), or Business Central's API v2.0 (a built-in mapping, see
/// `BusinessCentralProfile`). Calls block: run them on Dispatch queues, never on a Swift-concurrency thread.
public protocol BackOfficeAdapter: Sendable {
    /// The adapter's name, as `backoffice.adapter` spells it.
    var name: String { get }

    /// Delivers one order document; the same submission, sent again, yields the same order and never a second one.
    /// - Returns: The back office's id for the order.
    /// - Throws: `BackOfficeError`; `withdrawn` when the create was held back because its journal entry could not
    ///   be written (the claim was lost to another sopd).
    func submitOrder(_ submission: OrderSubmission) throws(BackOfficeError) -> OrderReceipt

    /// The requests delivering `submission` would send, in order, without sending any (`sopd adapter test`); the
    /// `Authorization` header is left out.
    /// - Throws: `BackOfficeError` when the submission cannot become a request (a mapping renders no JSON, say).
    func preview(_ submission: OrderSubmission) throws(BackOfficeError) -> [(purpose: String, request: HTTPRequest)]

    /// Reads what changed after `cursor`, at most about `limit` events.
    /// - Throws: `BackOfficeError`; `invalidResponse` when an answer cannot be read.
    func changes(after cursor: String, limit: Int) throws(BackOfficeError) -> ChangePage

    /// The cursor a journal that never read the changes starts after.
    var initialCursor: String { get }

    /// Whether the back office keeps idempotency keys (contract v1); without them, a delivery looks the order up first,
    /// and needs the ids the order's returned versions had (`OrderSubmission.returnedRemoteIds`).
    var keepsIdempotencyKeys: Bool { get }

    /// Whether the changes read may be about orders sopd never sent (an ERP's own lists hold every order): those
    /// are left out, where contract v1's feed, about sopd's orders only, has each event applied or failed.
    var listsOtherOrders: Bool { get }
}
