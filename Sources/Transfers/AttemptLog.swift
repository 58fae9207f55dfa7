import Foundation

/// What an attempt did, as the driver that made it reports it; the journal keeps it as an `Attempt`.
public struct AttemptLog: Sendable, Equatable {
    /// The longest excerpt kept.
    public static let excerptLimit = 500

    /// When it started.
    public var startedAt: Date
    /// How long it took, in milliseconds.
    public var durationMs: Int
    /// `ok`, or the failure class and kind.
    public var outcome: String
    /// The start of the answer or error, secrets removed.
    public var excerpt: String?

    /// Creates a log; the excerpt is cut to `excerptLimit` characters.
    public init(startedAt: Date, durationMs: Int, outcome: String, excerpt: String? = nil) {
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.outcome = outcome
        self.excerpt = excerpt.map { String($0.prefix(Self.excerptLimit)) }
    }
}
