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

    /// Reads `text`, a query of `table`'s rows.
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
        options = QueryOptions()
        if !entity.children.contains(where: { $0.name == "all-attributes" }) {
            let selected = entity.children.filter { $0.name == "attribute" }.compactMap { $0.attributes["name"] }
            options.select = selected.isEmpty ? nil : selected
        }
        options.orderBy = entity.children.filter { $0.name == "order" }.compactMap { order in
            order.attributes["attribute"].map { QueryOptions.OrderBy(property: $0, descending: order.attributes["descending"] == "true") }
        }
        let filters = try entity.children.filter { $0.name == "filter" }.map { (filter) throws(QueryError) in
            try Self.filter(filter, table: table)
        }
        options.filter = filters.dropFirst().reduce(filters.first) { all, next in all.map { .and($0, next) } }
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

/// An XML element: name, attributes, child elements and text. Enough XML for FetchXML: no namespaces,
/// no DTD; entities `&lt; &gt; &amp; &quot; &apos;` and numeric references are decoded.
struct XMLTree {
    var name: String
    var attributes: [String: String] = [:]
    var children: [XMLTree] = []
    var text = ""

    /// The deepest nesting read, so that no text can exhaust the stack.
    static let maximumDepth = 50

    static func parse(_ source: String) throws(QueryError) -> XMLTree {
        var reader = Reader(characters: Array(source))
        reader.skipProlog()
        let root = try reader.element(depth: 0)
        reader.skipSpace()
        guard reader.atEnd else { throw QueryError("The FetchXML has text after its root element.") }
        return root
    }

    private struct Reader {
        let characters: [Character]
        var position = 0
        var atEnd: Bool { position >= characters.count }

        mutating func skipSpace() { while !atEnd, characters[position].isWhitespace { position += 1 } }

        mutating func skipProlog() {
            skipSpace()
            while starts(with: "<?") || starts(with: "<!--") {
                let end = starts(with: "<?") ? "?>" : "-->"
                while !atEnd, !starts(with: end) { position += 1 }
                position = min(characters.count, position + end.count)
                skipSpace()
            }
        }

        func starts(with text: String) -> Bool {
            let needle = Array(text)
            return position + needle.count <= characters.count && Array(characters[position..<(position + needle.count)]) == needle
        }

        private func error(_ what: String) -> QueryError { QueryError("The FetchXML is not well-formed at character \(position): \(what).") }

        mutating func name() throws(QueryError) -> String {
            let start = position
            while !atEnd, characters[position].isLetter || characters[position].isNumber || "-_:.".contains(characters[position]) {
                position += 1
            }
            guard position > start else { throw error("a name was expected") }
            return String(characters[start..<position])
        }

        mutating func element(depth: Int) throws(QueryError) -> XMLTree {
            guard depth < XMLTree.maximumDepth else { throw QueryError("The FetchXML nests deeper than \(XMLTree.maximumDepth) elements.") }
            guard !atEnd, characters[position] == "<" else { throw error("'<' was expected") }
            position += 1
            var element = XMLTree(name: try name())
            while true {
                skipSpace()
                guard !atEnd else { throw error("the tag <\(element.name)> does not end") }
                if starts(with: "/>") {
                    position += 2
                    return element
                }
                if characters[position] == ">" {
                    position += 1
                    break
                }
                let attribute = try name()
                skipSpace()
                guard !atEnd, characters[position] == "=" else { throw error("'=' was expected after \(attribute)") }
                position += 1
                skipSpace()
                guard !atEnd, characters[position] == "\"" || characters[position] == "'" else { throw error("a quoted value was expected") }
                let quote = characters[position]
                position += 1
                let start = position
                while !atEnd, characters[position] != quote { position += 1 }
                guard !atEnd else { throw error("the value of \(attribute) does not end") }
                element.attributes[attribute] = Self.decode(String(characters[start..<position]))
                position += 1
            }
            while true {
                let start = position
                while !atEnd, characters[position] != "<" { position += 1 }
                element.text += Self.decode(String(characters[start..<position]))
                guard !atEnd else { throw error("</\(element.name)> is missing") }
                if starts(with: "<!--") {
                    while !atEnd, !starts(with: "-->") { position += 1 }
                    position = min(characters.count, position + 3)
                    continue
                }
                if starts(with: "</") {
                    position += 2
                    guard try name() == element.name else { throw error("</\(element.name)> was expected") }
                    skipSpace()
                    guard !atEnd, characters[position] == ">" else { throw error("'>' was expected") }
                    position += 1
                    element.text = element.text.trimmingCharacters(in: .whitespacesAndNewlines)
                    return element
                }
                element.children.append(try self.element(depth: depth + 1))
            }
        }

        static func decode(_ text: String) -> String {
            guard text.contains("&") else { return text }
            var output = ""
            var rest = Substring(text)
            while let amp = rest.firstIndex(of: "&") {
                output += rest[..<amp]
                guard let semicolon = rest[amp...].firstIndex(of: ";") else { break }
                let entity = rest[rest.index(after: amp)..<semicolon]
                switch entity {
                case "lt": output += "<"
                case "gt": output += ">"
                case "amp": output += "&"
                case "quot": output += "\""
                case "apos": output += "'"
                default:
                    let number = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                    if let number, let scalar = Unicode.Scalar(number) { output.unicodeScalars.append(scalar) } else { output += "&\(entity);" }
                }
                rest = rest[rest.index(after: semicolon)...]
            }
            return output + rest
        }
    }
}
