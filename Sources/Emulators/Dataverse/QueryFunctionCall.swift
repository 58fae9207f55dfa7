import Foundation
import JSON

/// A Web API query function in `$filter`, such as
/// `Microsoft.Dynamics.CRM.In(PropertyName='ordernumber',PropertyValues=['SO-1','SO-2'])` ("Query functions",
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/queryfunctions). Values may be
/// single-quoted (documented) or double-quoted (as Microsoft's Python SDK writes them); they are read as the
/// column's type, as Dataverse reads them.
struct QueryFunctionCall: Sendable, Equatable {
    /// The functions the emulator evaluates; other documented ones are refused by name.
    enum Function: String, Sendable {
        case `in` = "In", notIn = "NotIn", between = "Between", notBetween = "NotBetween"
        case on = "On", onOrAfter = "OnOrAfter", onOrBefore = "OnOrBefore"

        /// How many values the function takes (nil: one or more).
        var valueCount: Int? {
            switch self {
            case .in, .notIn: nil
            case .between, .notBetween: 2
            case .on, .onOrAfter, .onOrBefore: 1
            }
        }
    }

    var function: Function
    var property: String
    var values: [String]

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
        return .query(QueryFunctionCall(function: function, property: property, values: values))
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
        if [.on, .onOrAfter, .onOrBefore].contains(function), type != .dateTime {
            throw QueryError("Microsoft.Dynamics.CRM.\(function.rawValue) needs a date column; '\(property)' is \(type.edmName).")
        }
        _ = try literals(type)
    }

    func matches(_ row: [String: JSONValue], in entity: EntityDefinition) -> Bool {
        let value = row[property] ?? .null
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
        }
    }
}
