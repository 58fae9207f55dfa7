@testable import Emulators
import Foundation
import FuzzSupport

/// Any text as the `fetchXml` of a Dataverse emulator query: read by `XMLTree` into a `FetchXMLQuery` on the
/// `salesorders` set, then its options validated and its filter matched against a row.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFetchXML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: inputBytes(data, size), as: UTF8.self)
    guard let query = try? FetchXMLQuery(text, table: salesOrder) else { return 0 }
    _ = try? query.options.validate(against: salesOrder, in: .sales)
    _ = query.options.filter?.matches(["statecode": 1, "ordernumber": "SO-01001", "totalamount": .number("12.50")], in: salesOrder)
    return 0
}

private let salesOrder = DataverseSchema.sales.entities["salesorder"]!

@main enum FuzzFetchXMLMain {
    static func main() { runLibFuzzer(fuzzFetchXML) }
}
