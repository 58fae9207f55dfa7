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

    /// The row's values of the keys, text in lower case (Dataverse sorts text without regard to case), so that
    /// comparing two keys allocates nothing.
    func sortKey(_ row: [String: JSONValue]) -> [JSONValue] {
        keys.map { key in
            let value = row[key.property] ?? .null
            // Keys are mostly lowercase already (ids): those are kept as they are rather than copied.
            if case .string(let text) = value, text.utf8.contains(where: { (0x41...0x5A).contains($0) || $0 >= 0x80 }) {
                return .string(text.lowercased())
            }
            return value
        }
    }

    func isOrderedBefore(_ left: [JSONValue], _ right: [JSONValue]) -> Bool {
        for (index, key) in keys.enumerated() {
            let order = Self.compare(left[index], right[index])
            if order != .orderedSame { return key.descending ? order == .orderedDescending : order == .orderedAscending }
        }
        return false
    }

    /// The first `count` of `items` in this order, sorted: a page needs the first rows only, so the rest are
    /// passed over with one comparison each against the last row kept (a max-heap) instead of being sorted.
    func first<Row>(_ count: Int, of items: [(key: [JSONValue], row: Row)]) -> [(key: [JSONValue], row: Row)] {
        guard count < items.count else { return items.sorted { isOrderedBefore($0.key, $1.key) } }
        guard count > 0 else { return [] }
        var heap: [(key: [JSONValue], row: Row)] = []
        heap.reserveCapacity(count)
        for item in items {
            if heap.count < count {
                heap.append(item)
                var child = heap.count - 1
                while child > 0, isOrderedBefore(heap[(child - 1) / 2].key, heap[child].key) {
                    heap.swapAt(child, (child - 1) / 2)
                    child = (child - 1) / 2
                }
            } else if isOrderedBefore(item.key, heap[0].key) {
                heap[0] = item
                var parent = 0
                while true {
                    var largest = parent
                    for child in [2 * parent + 1, 2 * parent + 2] where child < heap.count && isOrderedBefore(heap[largest].key, heap[child].key) {
                        largest = child
                    }
                    guard largest != parent else { break }
                    heap.swapAt(parent, largest)
                    parent = largest
                }
            }
        }
        return heap.sorted { isOrderedBefore($0.key, $1.key) }
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
        case (.string(let a), .string(let b)):
            return a == b ? .orderedSame : (a < b ? .orderedAscending : .orderedDescending)
        default:
            let a = left.stringValue ?? "", b = right.stringValue ?? ""
            return a == b ? .orderedSame : (a < b ? .orderedAscending : .orderedDescending)
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
