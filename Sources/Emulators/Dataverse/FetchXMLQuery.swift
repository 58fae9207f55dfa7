import Foundation
import JSON

/// A FetchXML query (`GET <set>?fetchXml=…`, "Use FetchXml to query data",
/// https://learn.microsoft.com/power-apps/developer/data-platform/fetchxml/overview): the subset a sales
/// integration uses, turned into the emulator's query options.
///
/// `<fetch count page paging-cookie top>` with one `<entity name>` holding `<attribute name>` or
/// `<all-attributes/>`, `<filter type="and|or">` (nested) with `<condition attribute operator value>` —
/// operators `eq ne gt ge lt le like not-like null not-null in not-in begins-with ends-with` — and
/// `<order attribute descending>`. Pages are counted from `page` (the emulator reads the page number,
/// not the paging cookie it writes); the answer carries `@Microsoft.Dynamics.CRM.morerecords` and a paging
/// cookie whose `pagenumber` is the next page, double-encoded as Dataverse writes it.
struct FetchXMLQuery {
    /// The table's logical name.
    var entity: String
    var options: QueryOptions
    /// Rows per page (`count`), at most 5000.
    var count: Int
    /// The page, from 1.
    var page: Int
    /// `top`: rows in all, without paging.
    var top: Int?

    /// The last page served: `count` × `page` stays far from overflowing.
    static let maximumPage = 100_000

    /// Reads `text`, a query of `table`'s rows.
    /// - Throws: `QueryError` for text that is not FetchXML of the supported subset, or that holds more than
    ///   `FilterParser.maximumConditions` conditions (so that no filter nests deeper than the `$filter` parser allows).
    init(_ text: String, table: EntityDefinition) throws(QueryError) {
        let root = try XMLTree.parse(text)
        guard root.name == "fetch" else { throw QueryError("A FetchXML query starts with <fetch>, not <\(root.name)>.") }
        guard let entity = root.children.first(where: { $0.name == "entity" }), let name = entity.attributes["name"] else {
            throw QueryError("The FetchXML query has no <entity name=\"…\">.")
        }
        guard name == table.logicalName else {
            throw QueryError("The FetchXML entity '\(name)' is not the table of this entity set, \(table.logicalName).")
        }
        self.entity = name
        top = try root.attributes["top"].map { (text) throws(QueryError) in try Self.positive(text, "top") }
        count = min(try root.attributes["count"].map { (text) throws(QueryError) in try Self.positive(text, "count") } ?? 5000, 5000)
        page = try root.attributes["page"].map { (text) throws(QueryError) in try Self.positive(text, "page") } ?? 1
        guard page <= Self.maximumPage else { throw QueryError("The FetchXML page \(page) is past the last the emulator serves, \(Self.maximumPage).") }
        options = QueryOptions()
        if !entity.children.contains(where: { $0.name == "all-attributes" }) {
            let selected = entity.children.filter { $0.name == "attribute" }.compactMap { $0.attributes["name"] }
            options.select = selected.isEmpty ? nil : selected
        }
        options.orderBy = entity.children.filter { $0.name == "order" }.compactMap { order in
            order.attributes["attribute"].map { QueryOptions.OrderBy(property: $0, descending: order.attributes["descending"] == "true") }
        }
        var conditions = 0
        Self.countConditions(entity, into: &conditions)
        guard conditions <= FilterParser.maximumConditions else {
            throw QueryError("The FetchXML has more than \(FilterParser.maximumConditions) conditions.")
        }
        let filters = try entity.children.filter { $0.name == "filter" }.map { (filter) throws(QueryError) in
            try Self.filter(filter, table: table)
        }
        options.filter = filters.dropFirst().reduce(filters.first) { all, next in all.map { .and($0, next) } }
    }

    private static func countConditions(_ element: XMLTree, into count: inout Int) {
        for child in element.children {
            if child.name == "condition" { count += 1 }
            countConditions(child, into: &count)
        }
    }

    private static func positive(_ text: String, _ name: String) throws(QueryError) -> Int {
        guard let value = Int(text), value > 0 else { throw QueryError("The FetchXML attribute \(name)=\"\(text)\" must be a positive number.") }
        return value
    }

    private static func filter(_ element: XMLTree, table: EntityDefinition) throws(QueryError) -> FilterExpression {
        var parts: [FilterExpression] = []
        for child in element.children {
            switch child.name {
            case "condition": parts.append(try condition(child, table: table))
            case "filter": parts.append(try filter(child, table: table))
            default: continue
            }
        }
        guard let first = parts.first else { throw QueryError("A FetchXML <filter> needs at least one <condition>.") }
        let or = element.attributes["type"] == "or"
        return parts.dropFirst().reduce(first) { or ? .or($0, $1) : .and($0, $1) }
    }

    private static func condition(_ element: XMLTree, table: EntityDefinition) throws(QueryError) -> FilterExpression {
        guard let property = element.attributes["attribute"], let op = element.attributes["operator"] else {
            throw QueryError("A FetchXML <condition> needs attribute and operator.")
        }
        let value = element.attributes["value"] ?? ""
        let values = element.children.filter { $0.name == "value" }.map(\.text)
        switch op {
        case "eq", "ne", "gt", "ge", "lt", "le":
            let type = try QueryError.requireProperty(property, in: table)
            guard let literal = FilterLiteral(text: value, as: type), let compare = FilterExpression.ComparisonOperator(rawValue: op) else {
                throw QueryError("The FetchXML value '\(value)' is not a valid \(type.edmName) for '\(property)'.")
            }
            return .compare(property: property, compare, literal)
        case "null": return .compare(property: property, .eq, .null)
        case "not-null": return .compare(property: property, .ne, .null)
        case "in", "not-in":
            return .query(QueryFunctionCall(function: op == "in" ? .in : .notIn, property: property, values: values))
        case "begins-with": return .function(.startswith, property: property, argument: value)
        case "ends-with": return .function(.endswith, property: property, argument: value)
        case "like", "not-like":
            let core = value.trimmingCharacters(in: ["%"])
            let like: FilterExpression =
                switch (value.hasPrefix("%"), value.hasSuffix("%")) {
                case (true, true): .function(.contains, property: property, argument: core)
                case (false, true): .function(.startswith, property: property, argument: core)
                case (true, false): .function(.endswith, property: property, argument: core)
                case (false, false): .query(QueryFunctionCall(function: .in, property: property, values: [core]))
                }
            return op == "like" ? like : .not(like)
        default:
            throw QueryError("The FetchXML operator '\(op)' is not supported by the emulator (docs/emulators.md lists those it is).")
        }
    }

    /// The paging cookie of the page after `page`, as Dataverse writes it: an XML attribute whose value is the
    /// inner cookie, URL-encoded twice.
    static func pagingCookie(nextPage: Int, primaryKey: String, first: String?, last: String?) -> String {
        let inner = "<cookie page=\"\(nextPage - 1)\"><\(primaryKey) last=\"{\(last ?? "")}\" first=\"{\(first ?? "")}\" /></cookie>"
        let once = inner.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? inner
        let twice = once.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? once
        return "<cookie pagenumber=\"\(nextPage)\" pagingcookie=\"\(twice)\" istracking=\"False\" />"
    }
}
