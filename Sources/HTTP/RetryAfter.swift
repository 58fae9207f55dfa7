import Foundation

/// Reads a `Retry-After` header, as a number of seconds within bounds, so that no peer can make
/// sopd wait for ever or write an unreadable date into its journal.
public enum RetryAfter {
    /// The longest wait a peer can ask for: one hour. A longer `Retry-After` is read as one hour.
    public static let maximumSeconds: Double = 3600

    /// The seconds `header` asks to wait, clamped to `0...maximumSeconds`; nil when there is no header
    /// or it is not a number of seconds (an HTTP date is not read: the retry backoff applies then).
    public static func seconds(_ header: String?) -> Double? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
            text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(text), value.isFinite
        else { return nil }
        return min(max(value, 0), maximumSeconds)
    }
}
