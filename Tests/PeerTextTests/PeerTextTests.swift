import Foundation
import Testing

@testable import PeerText

@Suite struct PeerTextTests {
    @Test func aSecretIsMaskedInEveryEncodingAPeerMightEchoIt() {
        let registry = SecretRegistry()
        registry.register("s3cret/value with space")
        registry.registerBasic(user: "sopd", password: "pa55word!")
        let echoes = [
            "Bearer s3cret/value with space", Data("s3cret/value with space".utf8).base64EncodedString(),
            "client_secret=s3cret%2Fvalue%20with%20space", "client_secret=s3cret%2Fvalue+with+space",
            #"{"token":"s3cret\/value with space"}"#, "Basic \(Data("sopd:pa55word!".utf8).base64EncodedString())",
        ]
        for echo in echoes {
            let masked = registry.masked(echo)
            #expect(masked.contains(SecretRegistry.mask), "\(echo) → \(masked)")
            #expect(!masked.contains("s3cret") && !masked.contains("pa55word"), "\(masked)")
        }
        #expect(registry.masked("nothing to hide") == "nothing to hide")
    }

    @Test func aRotatingSecretKeepsOnlyTheCurrentAndThePreviousValue() {
        let registry = SecretRegistry()
        for number in 1...50 { registry.register("token-number-\(number)", replacing: "access token") }
        #expect(registry.masked("token-number-50 token-number-49") == "\(SecretRegistry.mask) \(SecretRegistry.mask)")
        #expect(registry.masked("token-number-1") == "token-number-1", "old tokens are forgotten: the registry stays small")
    }

    @Test func controlAndLayoutCharactersAreEscapedSoOneValueStaysOneLine() {
        #expect(PeerText.escaped("a\nb\r\tc\u{1b}[2J\u{2028}\u{202E}") == "a\\nb\\r\\tc\\u{1b}[2J\\u{2028}\\u{202e}")
        #expect(PeerText.escaped("plain – text ✓") == "plain – text ✓")
    }

    @Test func theLengthIsBoundedInUnicodeScalarsNotCharacters() {
        let zalgo = "e" + String(repeating: "\u{301}", count: 100_000)
        #expect(zalgo.count == 1)
        let cleaned = PeerText.clean(zalgo, limit: 300)
        #expect(cleaned.unicodeScalars.count <= 301)
        #expect(PeerText.clean(String(repeating: "x", count: 500)).hasSuffix("…"))
    }

    @Test func invalidUTF8ShowsAsItsBytes() {
        #expect(PeerText.clean(bytes: [0x41, 0xFF, 0xC3, 0x28, 0x42, 0xE2, 0x82]) == "A\\xff\\xc3(B\\xe2\\x82")
        #expect(PeerText.clean(bytes: Array("héllo €".utf8)) == "héllo €")
    }

    @Test(arguments: [
        ("evt-000042", true), ("BO-1", true), ("", false), ("a\nb", false), ("a\u{0}b", false), ("a\u{FFFD}b", false),
        (String(repeating: "x", count: 201), false), ("\u{202E}evil", false),
    ])
    func anIdentifierIsPrintableAndShort(_ text: String, _ accepted: Bool) {
        #expect((PeerText.identifier(text) != nil) == accepted)
    }

    @Test func aJSONQuotedValueReadsBackAsItWasWhateverItHolds() throws {
        for value in ["plain", "said \"no\" \\ twice", "line\nbreak\r\ttab", "\u{0}\u{1b}[31m\u{7f}", "é ✓ \u{2028}", ""] {
            let quoted = PeerText.jsonQuoted(value)
            #expect(!quoted.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(quoted)")
            let read = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
            #expect(read == [value])
        }
        #expect(PeerText.jsonQuoted("\u{1b}") == #""\u001b""#)
    }
}
