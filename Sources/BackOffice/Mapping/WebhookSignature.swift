import Crypto
import Foundation

/// The signature of an ERP's webhook notification: the hex HMAC-SHA256, under the secret sopd and the ERP share, of
/// the sending time (Unix seconds, as sent in the timestamp header), a `.`, and the body's bytes. The time is signed
/// with the body, so that a notification captured and sent again later is refused by its age (and within its
/// tolerance, by its id, which the journal keeps).
public enum WebhookSignature {
    /// The signature of `body` sent at `timestamp` (lower-case hex).
    public static func sign(secret: String, timestamp: String, body: [UInt8]) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + body, using: SymmetricKey(data: Array(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `signature` (hex, with or without a `sha256=` prefix) is `body`'s at `timestamp`, compared in
    /// constant time.
    public static func isValid(_ signature: String, secret: String, timestamp: String, body: [UInt8]) -> Bool {
        let hex = signature.hasPrefix("sha256=") ? String(signature.dropFirst(7)) : signature
        guard let code = bytes(hex), code.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            code, authenticating: Array("\(timestamp).".utf8) + body, using: SymmetricKey(data: Array(secret.utf8)))
    }

    private static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
