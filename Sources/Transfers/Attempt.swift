import Foundation

/// One attempt of a transfer, as the journal keeps it for `sopd journal show`.
public struct Attempt: Sendable, Equatable, Codable {
    /// The row id.
    public var id: Int64?
    /// The transfer.
    public var transferId: Int64
    /// 1 for the first attempt.
    public var number: Int
    /// When it started.
    public var startedAt: Date
    /// How long it took, in milliseconds.
    public var durationMs: Int
    /// The HTTP status, when there was an answer.
    public var status: Int?
    /// `ok`, or the failure class (`retryable`, `permanent`, `conflict`) and kind.
    public var outcome: String
    /// The start of the answer or error, secrets removed.
    public var excerpt: String?
    /// The process that made it (`host:pid`), when known.
    public var owner: String?
    /// The fencing token of the claim it was made under.
    public var fence: Int64?

    /// Creates an attempt record.
    public init(
        transferId: Int64, number: Int, startedAt: Date, durationMs: Int, status: Int?, outcome: String, excerpt: String?,
        owner: String? = nil, fence: Int64? = nil
    ) {
        self.transferId = transferId
        self.number = number
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.status = status
        self.outcome = outcome
        self.excerpt = excerpt
        self.owner = owner
        self.fence = fence
    }
}
