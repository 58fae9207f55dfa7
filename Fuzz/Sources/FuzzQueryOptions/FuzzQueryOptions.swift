@testable import Emulators
import Foundation
import FuzzSupport

/// Any text as the query string of a Dataverse emulator request (`$select=…&$filter=…&$expand=…`), split
/// and percent-decoded as the emulator's server does, read as `QueryOptions` and checked against the
/// `salesorders` set.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQueryOptions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let query = String(decoding: inputBytes(data, size), as: UTF8.self)
    let parameters = query.split(separator: "&").map { pair -> (name: String, value: String) in
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
        return (name, value)
    }
    guard let options = try? QueryOptions.parse(parameters) else { return 0 }
    _ = try? options.validate(against: salesOrder, in: .sales)
    return 0
}

private let salesOrder = DataverseSchema.sales.entities["salesorder"]!

@main enum FuzzQueryOptionsMain {
    static func main() { runLibFuzzer(fuzzQueryOptions) }
}
