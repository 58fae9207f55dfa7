import Foundation
import Synchronization

/// Every secret sopd holds (tokens, passwords, client secrets, and each access token it is issued),
/// so that `PeerText` can mask it wherever a peer echoes it back: as is, in base64 (HTTP basic
/// authentication), percent- or form-encoded (a token request), and JSON-escaped.
/// Process-wide: a secret registered once is masked in every later text.
public final class SecretRegistry: Sendable {
    /// The registry of this process.
    public static let shared = SecretRegistry()
    /// What a masked secret reads as.
    public static let mask = "[redacted]"
    /// Shorter values are not masked: they would hide ordinary words and numbers.
    public static let minimumLength = 6

    private let state = Mutex(State())

    private struct State {
        var fixed: Set<String> = []
        /// Secrets that replace one another (access tokens): the current and the previous one's forms per slot.
        var rotating: [String: [Set<String>]] = [:]
        /// Every form, longest first, as `masked` walks them.
        var ordered: [String] = []

        mutating func reorder() {
            ordered = fixed.union(rotating.values.joined().joined()).sorted { $0.count > $1.count }
        }
    }

    /// Creates an empty registry; the process uses `shared`.
    public init() {}

    /// Adds `secret` and its encodings.
    public func register(_ secret: String) {
        let encoded = Self.forms(of: secret)
        guard !encoded.isEmpty else { return }
        state.withLock {
            $0.fixed.formUnion(encoded)
            $0.reorder()
        }
    }

    /// Adds `secret` as the current value of `slot` (an access token, say), keeping the previous
    /// value's forms too (it may still be in flight) and forgetting older ones: a token endpoint that
    /// issues a token per request cannot make the registry grow.
    public func register(_ secret: String, replacing slot: String) {
        let encoded = Self.forms(of: secret)
        guard !encoded.isEmpty else { return }
        state.withLock {
            $0.rotating[slot] = (($0.rotating[slot] ?? []).suffix(1)) + [encoded]
            $0.reorder()
        }
    }

    private static func forms(of secret: String) -> Set<String> {
        guard secret.count >= minimumLength else { return [] }
        return encodings(of: secret).filter { $0.count >= minimumLength }
    }

    /// Adds the HTTP basic credentials of `user` and `password`: the password, and the base64 of the pair.
    public func registerBasic(user: String, password: String) {
        register(password)
        register(Data("\(user):\(password)".utf8).base64EncodedString())
    }

    /// `text` with every registered secret replaced by `mask`.
    public func masked(_ text: String) -> String {
        let ordered = state.withLock { $0.ordered }
        guard !ordered.isEmpty else { return text }
        var result = text
        // Longest first, so that an encoding containing another form is masked whole.
        for form in ordered where result.contains(form) {
            result = result.replacingOccurrences(of: form, with: Self.mask)
        }
        return result
    }

    /// `value` percent-encoded as a form or a URL component carries it (RFC 3986 unreserved characters
    /// as they are): the encoding sopd sends a client secret in, and one of the forms masked.
    public static func formEncoded(_ value: String) -> String {
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    static func encodings(of secret: String) -> Set<String> {
        let percent = formEncoded(secret)
        var forms: Set<String> = [
            secret, Data(secret.utf8).base64EncodedString(), percent, percent.replacingOccurrences(of: "%20", with: "+"),
        ]
        if let query = secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) { forms.insert(query) }
        let json = secret.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "/", with: "\\/")
        forms.insert(json)
        return forms
    }
}
