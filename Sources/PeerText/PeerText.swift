/// The one redaction point for text a peer sent (error messages and excerpts, reasons, ids, cursors)
/// before it reaches a log line, the journal, a command's output or Dynamics: every known secret is
/// masked in each of its encodings (`SecretRegistry`), control and layout characters are escaped so
/// that one value stays one line, invalid UTF-8 shows as `\xNN`, and the length is bounded.
public enum PeerText {
    /// The longest cleaned text, in characters, unless a caller asks for another bound.
    public static let defaultLimit = 300
    /// The longest identifier or cursor a peer may send.
    public static let maxIdentifierLength = 200

    /// `text`, made safe to show: secrets masked, control characters escaped, at most `limit` characters.
    public static func clean(_ text: String, limit: Int = defaultLimit) -> String {
        bounded(escaped(SecretRegistry.shared.masked(text)), limit: limit)
    }

    /// `text` made safe to show whole, as a command's output shows journaled text: secrets masked,
    /// control characters escaped, no length bound.
    public static func shown(_ text: String) -> String {
        escaped(SecretRegistry.shared.masked(text))
    }

    /// Bytes a peer sent, made safe to show as `clean(_:limit:)` does; bytes that are not UTF-8 show as `\xNN`.
    /// Masking comes before the cut, over a window longer than any secret, so that no secret is cut in two and shown in part.
    public static func clean(bytes: some Collection<UInt8>, limit: Int = defaultLimit) -> String {
        let window = limit * 4 + 65_536
        return clean(visibleDecoding(bytes.prefix(window)), limit: limit) + (bytes.count > window ? "…" : "")
    }

    /// An identifier or cursor as a peer sent it, or nil when it cannot be one: empty, longer than
    /// `maxIdentifierLength`, or holding a control character, a line break or an undecodable byte (U+FFFD).
    public static func identifier(_ text: String?) -> String? {
        guard let text, !text.isEmpty, text.utf8.count <= maxIdentifierLength,
            !text.unicodeScalars.contains(where: { needsEscape($0) || $0 == "\u{FFFD}" })
        else { return nil }
        return text
    }

    /// Whether `scalar` is escaped when shown: C0 and C1 controls, DEL, line and paragraph separators,
    /// and the bidirectional overrides that can make a line read other than it is.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `text` with its control and layout characters escaped (`\n`, `\r`, `\t`, `\u{1b}`), so that it
    /// stays one line that reads as it is.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        return escaping(text, where: needsEscape) { "\\u{\(String($0.value, radix: 16))}" }
    }

    /// `text` with `\n`, `\r` and `\t` written as such, every other scalar that `escapes` picks written by
    /// `written`, and `extra` scalars (quotes, say) preceded by a backslash.
    private static func escaping(
        _ text: String, extra: Set<Unicode.Scalar> = [], where escapes: (Unicode.Scalar) -> Bool,
        as written: (Unicode.Scalar) -> String
    ) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where extra.contains(scalar): result += "\\" + String(scalar)
            case _ where escapes(scalar): result += written(scalar)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// At most `limit` Unicode scalars (not characters: one character can hold a million combining marks).
    static func bounded(_ text: String, limit: Int) -> String {
        guard text.unicodeScalars.count > limit else { return text }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: text.unicodeScalars.prefix(limit))
        return String(result) + "…"
    }

    /// UTF-8 decoding that shows each byte of an invalid sequence as `\xNN` instead of hiding it as U+FFFD.
    static func visibleDecoding(_ input: some Collection<UInt8>) -> String {
        let bytes = Array(input)
        var result = ""
        var start = 0
        var index = 0
        while index < bytes.count {
            let length = validSequenceLength(bytes, at: index)
            if length > 0 {
                index += length
                continue
            }
            result += String(decoding: bytes[start..<index], as: UTF8.self)
            result += "\\x" + (bytes[index] < 0x10 ? "0" : "") + String(bytes[index], radix: 16)
            index += 1
            start = index
        }
        return result + String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// The length of the well-formed UTF-8 sequence at `index` (RFC 3629), or 0 when there is none.
    private static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let second: ClosedRange<UInt8>
        let length: Int
        switch bytes[index] {
        case 0..<0x80: return 1
        case 0xC2...0xDF: (second, length) = (0x80...0xBF, 2)
        case 0xE0: (second, length) = (0xA0...0xBF, 3)
        case 0xE1...0xEC, 0xEE...0xEF: (second, length) = (0x80...0xBF, 3)
        case 0xED: (second, length) = (0x80...0x9F, 3)
        case 0xF0: (second, length) = (0x90...0xBF, 4)
        case 0xF1...0xF3: (second, length) = (0x80...0xBF, 4)
        case 0xF4: (second, length) = (0x80...0x8F, 4)
        default: return 0
        }
        guard index + length <= bytes.count, second.contains(bytes[index + 1]) else { return 0 }
        for offset in 2..<max(2, length) where !(0x80...0xBF).contains(bytes[index + offset]) { return 0 }
        return length
    }

    /// `value` as a JSON string literal, quotes included: `"`, `\\` and every control character escaped.
    public static func jsonQuoted(_ value: String) -> String {
        let body = escaping(value, extra: ["\"", "\\"], where: { $0.value < 0x20 || $0.value == 0x7F }) { scalar in
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
        return "\"" + body + "\""
    }
}
