import FuzzSupport
import JSON

/// Any bytes as a JSON document. A document that parses must serialize to text that parses back to the
/// same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let value = try? JSONParser.parse(inputBytes(data, size)) else { return 0 }
    let text = value.serialized()
    guard let again = try? JSONParser.parse(text), again == value else {
        fatalError("the round trip changed the value: \(String(decoding: text, as: UTF8.self))")
    }
    return 0
}

@main enum FuzzJSONMain {
    static func main() { runLibFuzzer(fuzzJSON) }
}
