import Foundation
import JSON

/// A parsed OData `$filter`: comparisons, `contains`/`startswith`/`endswith`, `and`, `or` and `not`.
indirect enum FilterExpression: Sendable, Equatable {
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)
    case compare(property: String, ComparisonOperator, FilterLiteral)
    case function(StringFunction, property: String, argument: String)
    case query(QueryFunctionCall)

    enum ComparisonOperator: String, Sendable {
        case eq, ne, gt, ge, lt, le

        var kindName: String {
            switch self {
            case .eq: "Equal"
            case .ne: "NotEqual"
            case .gt: "GreaterThan"
            case .ge: "GreaterThanOrEqual"
            case .lt: "LessThan"
            case .le: "LessThanOrEqual"
            }
        }
    }

    enum StringFunction: String, Sendable {
        case contains, startswith, endswith
    }

    /// Checks every property and literal against the table, as Dataverse does before running a query.
    func validate(against entity: EntityDefinition) throws(QueryError) {
        switch self {
        case .and(let left, let right), .or(let left, let right):
            try left.validate(against: entity)
            try right.validate(against: entity)
        case .not(let inner):
            try inner.validate(against: entity)
        case .compare(let property, let op, let literal):
            let type = try QueryError.requireProperty(property, in: entity)
            guard literal.isCompatible(with: type) else {
                throw QueryError(
                    "A binary operator with incompatible types was detected. Found operand types '\(type.edmName)' and '\(literal.edmName)' for operator kind '\(op.kindName)'."
                )
            }
        case .query(let call):
            try call.validate(against: entity)
        case .function(let function, let property, _):
            let type = try QueryError.requireProperty(property, in: entity)
            guard type == .string || type == .memo else {
                throw QueryError("The function '\(function.rawValue)' needs a string property; '\(property)' is \(type.edmName).")
            }
        }
    }

    /// The ids a filter can match at most when it names rows by `key` (`key eq <guid>`, alone, in an `or`, or
    /// on one side of an `and`), in lower case; nil when it may match any row. Lets a query look those rows up
    /// instead of testing every row of the table.
    func keys(_ key: String) -> Set<String>? {
        switch self {
        case .compare(let property, .eq, .guid(let id)) where property == key: [id.lowercased()]
        case .or(let left, let right): left.keys(key).flatMap { ids in right.keys(key).map { ids.union($0) } }
        case .and(let left, let right):
            switch (left.keys(key), right.keys(key)) {
            case (let ids?, let other?): ids.intersection(other)
            case (let ids?, nil), (nil, let ids?): ids
            case (nil, nil): nil
            }
        default: nil
        }
    }

    /// The expression with each query function's calls transformed by `transform`.
    func mappingCalls(_ transform: (QueryFunctionCall) -> QueryFunctionCall) -> FilterExpression {
        switch self {
        case .and(let left, let right): .and(left.mappingCalls(transform), right.mappingCalls(transform))
        case .or(let left, let right): .or(left.mappingCalls(transform), right.mappingCalls(transform))
        case .not(let inner): .not(inner.mappingCalls(transform))
        case .query(let call): .query(transform(call))
        case .compare, .function: self
        }
    }

    /// Whether the expression calls a hierarchy function (`Under`, `Above`, …), which needs the table's hierarchy.
    var usesHierarchy: Bool {
        switch self {
        case .and(let left, let right), .or(let left, let right): left.usesHierarchy || right.usesHierarchy
        case .not(let inner): inner.usesHierarchy
        case .query(let call): call.function.isHierarchical
        case .compare, .function: false
        }
    }

    /// Whether `row` satisfies the expression at `now` (the time `LastXDays` counts back from).
    func matches(_ row: [String: JSONValue], in entity: EntityDefinition, now: Date = Date()) -> Bool {
        switch self {
        case .and(let left, let right): return left.matches(row, in: entity, now: now) && right.matches(row, in: entity, now: now)
        case .or(let left, let right): return left.matches(row, in: entity, now: now) || right.matches(row, in: entity, now: now)
        case .not(let inner): return !inner.matches(row, in: entity, now: now)
        case .query(let call): return call.matches(row, in: entity, now: now)
        case .function(let function, let property, let argument):
            guard let text = row[property]?.stringValue?.lowercased() else { return false }
            let needle = argument.lowercased()
            switch function {
            case .contains: return text.contains(needle)
            case .startswith: return text.hasPrefix(needle)
            case .endswith: return text.hasSuffix(needle)
            }
        case .compare(let property, let op, let literal):
            let value = row[property] ?? .null
            if literal == .null || value.isNull {
                let bothNull = literal == .null && value.isNull
                switch op {
                case .eq: return bothNull
                case .ne: return !bothNull
                default: return false
                }
            }
            guard let order = FilterLiteral.compare(value, literal, type: entity.propertyType(property)) else {
                return false
            }
            switch op {
            case .eq: return order == .orderedSame
            case .ne: return order != .orderedSame
            case .gt: return order == .orderedDescending
            case .ge: return order != .orderedAscending
            case .lt: return order == .orderedAscending
            case .le: return order != .orderedDescending
            }
        }
    }
}
