/// A GUID derived from a name, so that the same back-office document always becomes the same
/// Dynamics row and a retried create can never make two. Two FNV-1a 64-bit hashes with different
/// offsets give the 128 bits; the version nibble is 8 ("custom", RFC 9562).
public enum DeterministicID {
    /// The GUID for `parts`, such as `make("invoice", "INV-000001")`.
    public static func make(_ parts: String...) -> String {
        let name = Array(parts.joined(separator: "\u{1F}").utf8)
        var bytes = hash(name, offset: 0xcbf2_9ce4_8422_2325) + hash(name, offset: 0x6c62_272e_07bb_0142)
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16).leftPadded }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    private static func hash(_ bytes: [UInt8], offset: UInt64) -> [UInt8] {
        var value = offset
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }
}

extension String {
    fileprivate var leftPadded: String { count < 2 ? "0" + self : self }
}
