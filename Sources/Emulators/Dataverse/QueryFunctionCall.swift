import Foundation
import JSON

/// A Web API query function in `$filter`, such as
/// `Microsoft.Dynamics.CRM.In(PropertyName='ordernumber',PropertyValues=['SO-1','SO-2'])` ("Query functions",
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/queryfunctions). Values may be
/// single-quoted (documented) or double-quoted (as Microsoft's Python SDK writes them); they are read as the
/// column's type, as Dataverse reads them. The hierarchy functions (`Under`, `Above`, …) apply to a table with a
/// hierarchical relationship (account, through `parentaccountid`) and name its primary key; the rows they reach
/// are found in the tables before the query runs (`hierarchy`).
struct QueryFunctionCall: Sendable, Equatable {
    /// The functions the emulator evaluates; other documented ones are refused by name.
    enum Function: String, Sendable {
        case `in` = "In", notIn = "NotIn", between = "Between", notBetween = "NotBetween"
        case on = "On", onOrAfter = "OnOrAfter", onOrBefore = "OnOrBefore", lastXDays = "LastXDays"
        case above = "Above", aboveOrEqual = "AboveOrEqual", under = "Under", underOrEqual = "UnderOrEqual"
        case notUnder = "NotUnder"

        /// How many values the function takes (nil: one or more).
        var valueCount: Int? {
            switch self {
            case .in, .notIn: nil
            case .between, .notBetween: 2
            case .on, .onOrAfter, .onOrBefore, .lastXDays, .above, .aboveOrEqual, .under, .underOrEqual, .notUnder: 1
            }
        }

        /// Whether the function reads the table's hierarchy.
        var isHierarchical: Bool {
            [.above, .aboveOrEqual, .under, .underOrEqual, .notUnder].contains(self)
        }
    }

    var function: Function
    var property: String
    var values: [String]
    /// For a hierarchy function: the ids of the rows it reaches (for `NotUnder`, those it excludes), found by
    /// `EntityTables` before the rows are read; nil until then.
    var hierarchy: Set<String>?

    /// Reads `name(arguments)`.
    static func parse(name: String, arguments: String) throws(QueryError) -> FilterExpression {
        guard let function = Function(rawValue: name) else {
            throw QueryError("The query function 'Microsoft.Dynamics.CRM.\(name)' is not supported by the emulator (docs/emulators.md lists those it is).")
        }
        var named: [String: [String]] = [:]
        for argument in try ODataText.splitTopLevel(arguments, separator: ",") {
            guard let equals = argument.firstIndex(of: "=") else {
                throw QueryError("Syntax error in the arguments of Microsoft.Dynamics.CRM.\(name): '\(argument)'.")
            }
            let key = argument[..<equals].trimmingCharacters(in: .whitespaces)
            let value = argument[argument.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("["), value.hasSuffix("]") {
                named[key] = try ODataText.splitTopLevel(String(value.dropFirst().dropLast()), separator: ",").map { (item) throws(QueryError) in try literal(item) }
            } else {
                named[key] = [try literal(value)]
            }
        }
        guard let property = named["PropertyName"]?.first else {
            throw QueryError("Microsoft.Dynamics.CRM.\(name) needs PropertyName.")
        }
        let values = named["PropertyValues"] ?? named["PropertyValue"] ?? []
        guard values.count == (function.valueCount ?? max(values.count, 1)) else {
            throw QueryError("Microsoft.Dynamics.CRM.\(name) takes \(function.valueCount.map(String.init) ?? "one or more") value(s), not \(values.count).")
        }
        return .query(QueryFunctionCall(function: function, property: property, values: values, hierarchy: nil))
    }

    /// A value as written: '…' with '' for a quote, "…", or a bare word.
    private static func literal(_ text: String) throws(QueryError) -> String {
        if let quoted = ODataText.unquoted(text) { return quoted }
        let value = text.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, !value.contains(where: { "'\"[]".contains($0) }) else {
            throw QueryError("Syntax error in query function value '\(text)'.")
        }
        return value
    }

    /// The values as literals of `type`.
    private func literals(_ type: AttributeType) throws(QueryError) -> [FilterLiteral] {
        try values.map { (value) throws(QueryError) -> FilterLiteral in
            guard let literal = FilterLiteral(text: value, as: type) else {
                throw QueryError("The value '\(value)' of Microsoft.Dynamics.CRM.\(function.rawValue) is not a valid \(type.edmName) for '\(property)'.")
            }
            return literal
        }
    }

    func validate(against entity: EntityDefinition) throws(QueryError) {
        let type = try QueryError.requireProperty(property, in: entity)
        if [.on, .onOrAfter, .onOrBefore, .lastXDays].contains(function), type != .dateTime {
            throw QueryError("Microsoft.Dynamics.CRM.\(function.rawValue) needs a date column; '\(property)' is \(type.edmName).")
        }
        if function == .lastXDays {
            guard let days = Int(values[0]), days >= 0 else {
                throw QueryError("Microsoft.Dynamics.CRM.LastXDays takes a whole number of days, not '\(values[0])'.")
            }
            return
        }
        if function.isHierarchical {
            guard entity.hierarchyLookup != nil else {
                throw QueryError("Microsoft.Dynamics.CRM.\(function.rawValue) needs a table with a hierarchical relationship; '\(entity.logicalName)' has none.")
            }
            guard property == entity.primaryIdAttribute else {
                throw QueryError("Microsoft.Dynamics.CRM.\(function.rawValue) names the primary key '\(entity.primaryIdAttribute)', not '\(property)'.")
            }
        }
        _ = try literals(type)
    }

    /// The call with the rows its hierarchy function reaches from its value, following `parent` (a row's id to
    /// its parent's) up or down; other calls are returned unchanged.
    func resolvingHierarchy(parent: [String: String]) -> QueryFunctionCall {
        guard function.isHierarchical, let start = values.first?.lowercased() else { return self }
        var reached: Set<String> = []
        switch function {
        case .above, .aboveOrEqual:
            var current = parent[start]
            while let id = current, reached.insert(id).inserted { current = parent[id] }
        default:
            var children: [String: [String]] = [:]
            for (child, parentId) in parent { children[parentId, default: []].append(child) }
            var queue = children[start] ?? []
            while let id = queue.popLast() {
                if reached.insert(id).inserted { queue.append(contentsOf: children[id] ?? []) }
            }
        }
        if function == .aboveOrEqual || function == .underOrEqual { reached.insert(start) }
        var resolved = self
        resolved.hierarchy = reached
        return resolved
    }

    /// Whether `row` satisfies the call at `now` (the time `LastXDays` counts back from).
    func matches(_ row: [String: JSONValue], in entity: EntityDefinition, now: Date) -> Bool {
        let value = row[property] ?? .null
        if function.isHierarchical {
            let reached = value.stringValue.map { hierarchy?.contains($0.lowercased()) == true } ?? false
            return function == .notUnder ? !reached : reached
        }
        if function == .lastXDays {
            return Self.isWithin(days: Int(values[0]) ?? 0, of: now, value.stringValue)
        }
        guard !value.isNull, let type = entity.propertyType(property), let literals = try? literals(type) else { return false }
        let order = { (literal: FilterLiteral) in FilterLiteral.compare(value, literal, type: type) }
        switch function {
        case .in: return literals.contains { order($0) == .orderedSame }
        case .notIn: return !literals.contains { order($0) == .orderedSame }
        case .between, .notBetween:
            let inside = order(literals[0]).map { $0 != .orderedAscending } == true
                && order(literals[1]).map { $0 != .orderedDescending } == true
            return function == .between ? inside : !inside
        case .on, .onOrAfter, .onOrBefore:
            guard let day = value.stringValue?.prefix(10), case .dateTime(let text) = literals[0] else { return false }
            let wanted = text.prefix(10)
            return function == .on ? day == wanted : function == .onOrAfter ? day >= wanted : day <= wanted
        case .lastXDays, .above, .aboveOrEqual, .under, .underOrEqual, .notUnder:
            return false
        }
    }

    /// `LastXDays`: from the start (UTC) of the day `days` days before `now`, up to `now` (docs/dataverse-choices.md);
    /// more than 100 000 days reach back to any date.
    private static func isWithin(days: Int, of now: Date, _ text: String?) -> Bool {
        guard let text, let date = try? Date(text, strategy: .iso8601) else { return false }
        guard days <= 100_000 else { return date <= now }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.startOfDay(for: now.addingTimeInterval(-Double(days) * 86_400))
        return date >= start && date <= now
    }
}
