import Foundation
import JSON

/// The OData query options the Business Central emulator takes on a list: `$filter` (comparisons `eq ne gt ge lt le`
/// joined by `and`; strings in single quotes, dates and numbers bare, as BC writes them), `$orderby` (one property,
/// `asc` or `desc`), `$top`, `$select` and `$expand` (the lines). An option it cannot read is refused as BC refuses it:
/// 400 with code `BadRequest`.
struct BusinessCentralQuery {
    /// One comparison of `$filter`.
    struct Comparison {
        var property: String
        var op: String
        var value: JSONValue
    }

    var filter: [Comparison] = []
    var orderBy: (property: String, descending: Bool)?
    var top: Int?
    var select: [String]?
    var expand: [String] = []

    /// Reads the options of `query`.
    /// - Throws: `BusinessCentralError` (400 `BadRequest`) naming the option it cannot read.
    init(_ query: [(name: String, value: String)]) throws(BusinessCentralError) {
        for (name, value) in query {
            switch name {
            case "$filter": filter = try Self.comparisons(value)
            case "$orderby":
                let parts = value.split(separator: " ").map(String.init)
                guard (1...2).contains(parts.count), parts.count == 1 || ["asc", "desc"].contains(parts[1]) else {
                    throw BusinessCentralError.badRequest("The $orderby '\(value)' is not supported: give one property, then asc or desc.")
                }
                orderBy = (parts[0], parts.count == 2 && parts[1] == "desc")
            case "$top":
                guard let count = Int(value), count >= 0 else { throw BusinessCentralError.badRequest("The $top '\(value)' is not a whole number.") }
                top = count
            case "$select": select = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "$expand": expand = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "$skiptoken", "company", "tenant": continue
            default:
                throw BusinessCentralError.badRequest("The query parameter '\(name)' is not supported.")
            }
        }
    }

    /// Whether `row` passes the filter.
    func matches(_ row: JSONValue) -> Bool {
        filter.allSatisfy { comparison in
            guard let value = row[comparison.property] else { return false }
            let order = Self.compare(value, comparison.value)
            switch comparison.op {
            case "eq": return order == .orderedSame
            case "ne": return order != .orderedSame
            case "gt": return order == .orderedDescending
            case "ge": return order != .orderedAscending
            case "lt": return order == .orderedAscending
            default: return order != .orderedDescending
            }
        }
    }

    /// `rows` filtered, ordered and cut to `$top`.
    func apply(to rows: [JSONValue]) -> [JSONValue] {
        var rows = rows.filter(matches)
        if let orderBy {
            rows.sort { left, right in
                let order = Self.compare(left[orderBy.property] ?? .null, right[orderBy.property] ?? .null)
                return orderBy.descending ? order == .orderedDescending : order == .orderedAscending
            }
        }
        if let top { rows = Array(rows.prefix(top)) }
        return rows
    }

    /// `row` with only the `$select`ed properties (and its ETag), when there is a `$select`.
    func selected(_ row: JSONValue) -> JSONValue {
        guard let select, case .object(let members) = row else { return row }
        return .object(members.filter { select.contains($0.key) || $0.key.hasPrefix("@odata.") || expand.contains($0.key) })
    }

    private static func comparisons(_ text: String) throws(BusinessCentralError) -> [Comparison] {
        var comparisons: [Comparison] = []
        for clause in text.components(separatedBy: " and ") {
            let parts = clause.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count == 3, ["eq", "ne", "gt", "ge", "lt", "le"].contains(parts[1]) else {
                throw BusinessCentralError.badRequest("Invalid filter expression: '\(clause)'. Write <property> <eq|ne|gt|ge|lt|le> <value>, joined by 'and'.")
            }
            let literal = parts[2]
            let value: JSONValue
            if literal.hasPrefix("'"), literal.hasSuffix("'"), literal.count >= 2 {
                value = .string(String(literal.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'"))
            } else if Double(literal) != nil {
                value = .number(literal)
            } else if literal == "true" || literal == "false" {
                value = .bool(literal == "true")
            } else if ERPTime.date(literal) != nil {
                value = .string(literal)
            } else {
                throw BusinessCentralError.badRequest("Invalid filter expression: the value '\(literal)' is neither a quoted string, a number, a boolean nor a date.")
            }
            comparisons.append(Comparison(property: parts[0], op: parts[1], value: value))
        }
        return comparisons
    }

    /// Orders two values: two texts as times when both are ISO 8601 times, else without regard to case (BC compares
    /// Code fields so); anything else as the Dataverse emulator orders it.
    static func compare(_ left: JSONValue, _ right: JSONValue) -> ComparisonResult {
        guard case .string(let a) = left, case .string(let b) = right else { return RowOrdering.compare(left, right) }
        if let x = ERPTime.date(a), let y = ERPTime.date(b) {
            return x == y ? .orderedSame : (x < y ? .orderedAscending : .orderedDescending)
        }
        return a.uppercased().compare(b.uppercased())
    }
}
