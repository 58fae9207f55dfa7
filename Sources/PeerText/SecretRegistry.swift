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

    private let forms = Mutex<Set<String>>([])

    /// Creates an empty registry; the process uses `shared`.
    public init() {}

    /// Adds `secret` and its encodings.
    public func register(_ secret: String) {
        guard secret.count >= Self.minimumLength else { return }
        let encoded = Self.encodings(of: secret).filter { $0.count >= Self.minimumLength }
        forms.withLock { $0.formUnion(encoded) }
    }

    /// Adds the HTTP basic credentials of `user` and `password`: the password, and the base64 of the pair.
    public func registerBasic(user: String, password: String) {
        register(password)
        register(Data("\(user):\(password)".utf8).base64EncodedString())
    }

    /// `text` with every registered secret replaced by `mask`.
    public func masked(_ text: String) -> String {
        let current = forms.withLock { $0 }
        guard !current.isEmpty else { return text }
        var result = text
        // Longest first, so that an encoding containing another form is masked whole.
        for form in current.sorted(by: { $0.count > $1.count }) where result.contains(form) {
            result = result.replacingOccurrences(of: form, with: Self.mask)
        }
        return result
    }

    /// Whether any registered secret occurs in `text`.
    public func leaks(_ text: String) -> Bool {
        forms.withLock { $0 }.contains { text.contains($0) }
    }

    static func encodings(of secret: String) -> Set<String> {
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        var forms: Set<String> = [secret, Data(secret.utf8).base64EncodedString()]
        if let percent = secret.addingPercentEncoding(withAllowedCharacters: unreserved) {
            forms.insert(percent)
            forms.insert(percent.replacingOccurrences(of: "%20", with: "+"))
        }
        if let query = secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) { forms.insert(query) }
        let json = secret.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "/", with: "\\/")
        forms.insert(json)
        return forms
    }
}
