import Foundation
import JSON

/// Orders rows by `$orderby` then the primary key, and turns the position after a row into the
/// opaque `$skiptoken` of a next link, so that paging continues after the last row served even
/// when rows before it drop out of the filter meanwhile (keyset paging, as Dataverse's paging cookie does).
struct RowOrdering {
    let keys: [QueryOptions.OrderBy]

    init(orderBy: [QueryOptions.OrderBy], primaryKey: String) {
        keys = orderBy + [QueryOptions.OrderBy(property: primaryKey, descending: false)]
    }

    func sortKey(_ row: [String: JSONValue]) -> [JSONValue] {
        keys.map { row[$0.property] ?? .null }
    }

    func isOrderedBefore(_ left: [JSONValue], _ right: [JSONValue]) -> Bool {
        for (index, key) in keys.enumerated() {
            let order = Self.compare(left[index], right[index])
            if order != .orderedSame { return key.descending ? order == .orderedDescending : order == .orderedAscending }
        }
        return false
    }

    static func compare(_ left: JSONValue, _ right: JSONValue) -> ComparisonResult {
        switch (left, right) {
        case (.null, .null): return .orderedSame
        case (.null, _): return .orderedAscending
        case (_, .null): return .orderedDescending
        case (.number(let a), .number(let b)):
            let x = Decimal(string: a) ?? 0, y = Decimal(string: b) ?? 0
            return x == y ? .orderedSame : (x < y ? .orderedAscending : .orderedDescending)
        case (.bool(let a), .bool(let b)):
            return a == b ? .orderedSame : (!a ? .orderedAscending : .orderedDescending)
        default:
            return (left.stringValue ?? "").lowercased().compare((right.stringValue ?? "").lowercased())
        }
    }

    static func token(after key: [JSONValue]) -> String {
        Data(JSONValue.array(key).serialized()).base64EncodedString()
    }

    static func key(fromToken token: String) throws(QueryError) -> [JSONValue] {
        guard let data = Data(base64Encoded: token), let value = try? JSONParser.parse([UInt8](data)),
            let key = value.arrayValue
        else { throw QueryError("The $skiptoken '\(token)' is not valid; follow @odata.nextLink unchanged.") }
        return key
    }
}
