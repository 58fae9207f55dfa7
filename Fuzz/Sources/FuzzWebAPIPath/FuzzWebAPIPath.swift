@testable import Emulators
import Foundation
import FuzzSupport

/// Any text as the path of a Dataverse emulator request after `/api/data/v9.2/`: split into segments as the router
/// splits it, each key read as a row key (a GUID or an alternate key such as `ordernumber='SO-01001'`) of
/// `salesorders` and `accounts`, and the text after `EntityDefinitions` answered as a table-definition path
/// (`(LogicalName='account')/Attributes/…`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebAPIPath(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = String(decoding: inputBytes(data, size), as: UTF8.self)
    for segment in ODataText.segments(path) {
        guard let key = segment.key else { continue }
        for entity in tables { _ = try? RowKey(key, of: entity) }
    }
    _ = try? metadata.answer("EntityDefinitions" + path, query: [])
    return 0
}

private let tables = [DataverseSchema.sales.entities["salesorder"]!, DataverseSchema.sales.entities["account"]!]
private let metadata = MetadataService(schema: .sales, root: "https://contoso.crm.example/api/data/v9.2")

@main enum FuzzWebAPIPathMain {
    static func main() { runLibFuzzer(fuzzWebAPIPath) }
}
