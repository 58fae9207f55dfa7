import JSON
import Testing

@Suite struct JSONParserTests {
    @Test func keepsNumberLiteralsDigitForDigit() throws {
        let value = try JSONParser.parse(#"{"price": 1234.50, "qty": 3, "tiny": 1e-7}"#)
        #expect(value["price"] == .number("1234.50"))
        #expect(value["qty"]?.intValue == 3)
        #expect(value.jsonText == #"{"price":1234.50,"qty":3,"tiny":1e-7}"#)
    }

    @Test func roundTripsStringsWithEscapes() throws {
        let text = #"{"a":"line\nbreak \"quoted\" \u00e9 \ud83d\ude00 tab\t"}"#
        let value = try JSONParser.parse(text)
        #expect(value["a"]?.stringValue == "line\nbreak \"quoted\" é 😀 tab\t")
        #expect(try JSONParser.parse(value.jsonText) == value)
    }

    @Test func writesODataAnnotationsFirst() {
        let value: JSONValue = ["value": [], "@odata.context": "ctx", "a": true]
        #expect(value.jsonText == #"{"@odata.context":"ctx","a":true,"value":[]}"#)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "01x", "\"unterminated", "{\"a\":1} trailing", "-"])
    func refusesInvalidText(_ text: String) {
        #expect(throws: JSONError.self) { try JSONParser.parse(text) }
    }

    @Test func refusesHostileNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let error = #expect(throws: JSONError.self) { try JSONParser.parse(deep) }
        #expect(error?.message.contains("nesting") == true)
    }
}
