import Foundation

/// How a failed attempt leaves its transfer.
public enum FailureDisposition: Sendable, Equatable {
    /// `failed`, due again at the given time.
    case retry(at: Date)
    /// `dead`: no more automatic attempts.
    case dead
}
