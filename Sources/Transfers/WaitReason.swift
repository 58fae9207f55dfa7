import Foundation

/// Why a journaled transfer is not sent or applied now.
public enum WaitReason: Sendable, Equatable, CustomStringConvertible {
    /// It was delivered already.
    case delivered(remoteId: String?)
    /// It was given up and waits for an operator.
    case dead(id: Int64?, attempts: Int, lastError: String?)
    /// Its version went back to the salesperson; their next submission is a new transfer.
    case returned
    /// Its last attempt failed and the next is due later.
    case retryLater(at: Date, lastError: String?)
    /// Another live sopd process is sending it.
    case leased(owner: String)

    /// The reason in words, as `--sync-now`, the logs and `sopd journal` show it.
    public var description: String {
        switch self {
        case .delivered(let remoteId): "already delivered as \(remoteId ?? "?") (journal); not sent again"
        case .dead(let id, let attempts, let lastError):
            "dead after \(attempts) attempt(s): \(lastError ?? "?"); sopd journal retry \(id ?? 0)"
        case .returned: "returned to the salesperson; their next submission is a new version"
        case .retryLater(let at, let lastError): "failed (\(lastError ?? "?")); next attempt at \(at.formatted(.iso8601))"
        case .leased(let owner): "being sent by another sopd process (\(owner))"
        }
    }
}
