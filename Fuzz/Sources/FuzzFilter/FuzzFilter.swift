@testable import Emulators
import FuzzSupport
import JSON

private let salesOrder = DataverseSchema.sales.entities["salesorder"]!
private let row: [String: JSONValue] = [
    "salesorderid": "d1000000-0000-0000-0000-000000001001", "name": "Northwind order", "statecode": 1,
    "totalamount": .number("120.50"), "submitdate": "2026-11-21T09:00:00Z", "lastbackofficesubmit": nil,
]

/// Any text as an OData `$filter`, as the Dataverse emulator reads it: parsed, checked against the
/// `salesorder` table, and evaluated against one row.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFilter(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: inputBytes(data, size), as: UTF8.self)
    guard let expression = try? FilterParser.parse(text) else { return 0 }
    _ = try? expression.validate(against: salesOrder)
    _ = expression.matches(row, in: salesOrder)
    return 0
}

@main enum FuzzFilterMain {
    static func main() { runLibFuzzer(fuzzFilter) }
}
