@testable import Emulators
import Foundation
import FuzzSupport

/// Any text as the query string of a Dataverse emulator request (`$select=…&$filter=…&$expand=…`), split
/// and percent-decoded as the emulator's server does, read as `QueryOptions` and checked against the
/// `salesorders` set.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQueryOptions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let query = String(decoding: inputBytes(data, size), as: UTF8.self)
    guard let options = try? QueryOptions.parse(QueryString.decode(query)) else { return 0 }
    _ = try? options.validate(against: salesOrder, in: .sales)
    return 0
}

private let salesOrder = DataverseSchema.sales.entities["salesorder"]!

@main enum FuzzQueryOptionsMain {
    static func main() { runLibFuzzer(fuzzQueryOptions) }
}
