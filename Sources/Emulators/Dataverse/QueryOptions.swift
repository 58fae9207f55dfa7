import Foundation
import JSON

/// The OData system query options of one request, or of one `$expand` item.
struct QueryOptions: Sendable {
    struct OrderBy: Sendable {
        var property: String
        var descending: Bool
    }

    struct Expand: Sendable {
        var navigation: String
        var options: QueryOptions
        /// The options as written, decoded, for the `<navigation>@odata.nextLink` of a paged collection.
        var parameters: [(name: String, value: String)] = []
    }

    var select: [String]?
    var filter: FilterExpression?
    var orderBy: [OrderBy] = []
    var top: Int?
    var expand: [Expand] = []
    /// The sort key of the last row already served, from `$skiptoken`.
    var skipAfter: [JSONValue]?
    /// `$count=true`: the answer carries `@odata.count`.
    var count = false
    /// `Prefer: odata.include-annotations` asked for formatted values (not a query option, carried along).
    var formattedValues = false
    /// `$deltatoken` of a delta link: the version it was taken at, and when it was issued.
    var deltaToken: (version: Int, issued: Double)?

    private static let supported: Set<String> = [
        "$select", "$filter", "$orderby", "$top", "$expand", "$skiptoken", "$count", "$deltatoken",
    ]

    /// The deepest nesting of `$expand` in `$expand`; deeper is refused, so that no query string can
    /// exhaust the stack (sopd's deepest query nests two levels).
    static let maximumExpandNesting = 10

    /// Reads the options from decoded query parameters; other parameters are refused as Dataverse refuses them.
    /// `expandNesting` is how deep in `$expand` options these are (0 for a request's own).
    static func parse(_ parameters: [(name: String, value: String)], expandNesting: Int = 0) throws(QueryError)
        -> QueryOptions
    {
        var options = QueryOptions()
        for (name, value) in parameters {
            guard supported.contains(name) else {
                if name == "$skip" { throw QueryError("The query parameter $skip is not supported; follow @odata.nextLink.") }
                throw QueryError("The query parameter '\(name)' is not supported.")
            }
            try options.apply(name, value, expandNesting: expandNesting)
        }
        return options
    }

    private mutating func apply(_ name: String, _ value: String, expandNesting: Int) throws(QueryError) {
        switch name {
        case "$select":
            select = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        case "$filter":
            filter = try FilterParser.parse(value)
        case "$orderby":
            orderBy = try value.split(separator: ",").map { (item) throws(QueryError) -> OrderBy in
                let parts = item.split(separator: " ", omittingEmptySubsequences: true)
                guard (1...2).contains(parts.count), parts.count == 1 || ["asc", "desc"].contains(parts[1]) else {
                    throw QueryError("Syntax error in $orderby '\(value)'.")
                }
                return OrderBy(property: String(parts[0]), descending: parts.count == 2 && parts[1] == "desc")
            }
        case "$top":
            guard let count = Int(value), count >= 0 else { throw QueryError("Invalid value '\(value)' for $top.") }
            top = count
        case "$expand":
            guard expandNesting < Self.maximumExpandNesting else {
                throw QueryError("$expand nests deeper than \(Self.maximumExpandNesting) levels in '\(value)'.")
            }
            expand = try ODataText.splitTopLevel(value, separator: ",").map { (item) throws(QueryError) -> Expand in
                guard let open = item.firstIndex(of: "(") else {
                    return Expand(navigation: item.trimmingCharacters(in: .whitespaces), options: QueryOptions())
                }
                guard item.hasSuffix(")") else { throw QueryError("Syntax error in $expand '\(value)'.") }
                let inner = String(item[item.index(after: open)..<item.index(before: item.endIndex)])
                let nested = try ODataText.splitTopLevel(inner, separator: ";").map { (option) throws(QueryError) in
                    guard let equals = option.firstIndex(of: "=") else {
                        throw QueryError("Syntax error in $expand '\(value)'.")
                    }
                    return (name: String(option[..<equals]), value: String(option[option.index(after: equals)...]))
                }
                return Expand(
                    navigation: String(item[..<open]).trimmingCharacters(in: .whitespaces),
                    options: try QueryOptions.parse(nested, expandNesting: expandNesting + 1), parameters: nested)
            }
        case "$deltatoken":
            let parts = value.split(separator: "!")
            guard parts.count == 2, let version = Int(parts[0]), let issued = Double(parts[1]) else {
                throw QueryError("The $deltatoken '\(value)' is not valid; follow @odata.deltaLink unchanged.")
            }
            deltaToken = (version, issued)
        case "$count":
            guard value == "true" || value == "false" else { throw QueryError("Invalid value '\(value)' for $count.") }
            count = value == "true"
        default:
            skipAfter = try RowOrdering.key(fromToken: value)
        }
    }

    /// Whether an `$expand` anywhere in these options has an `$expand` of its own. Dataverse then pages every
    /// expanded collection (`<property>@odata.nextLink`) and refuses `$top` and `$orderby` in them.
    var nestsExpand: Bool {
        expand.contains { !$0.options.expand.isEmpty || $0.options.nestsExpand }
    }

    /// The refusal Dataverse gives `$top` or `$orderby` inside the `$expand` of a single-valued navigation
    /// property, or of a collection when the query nests `$expand` ("Join tables using the Web API",
    /// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables#expand-collection-valued-navigation-properties).
    static let expandOptionsRefused =
        "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship."

    /// Checks every property and navigation against the schema, and the documented limits of `$expand`.
    /// - Parameter nestedQuery: Whether the whole request nests `$expand` (nil: work it out from these options).
    func validate(against entity: EntityDefinition, in schema: DataverseSchema, nestedQuery: Bool? = nil) throws(QueryError) {
        let nested = nestedQuery ?? nestsExpand
        for property in select ?? [] { _ = try QueryError.requireProperty(property, in: entity) }
        for order in orderBy { _ = try QueryError.requireProperty(order.property, in: entity) }
        try filter?.validate(against: entity)
        for item in expand {
            guard let target = entity.relatedEntity(item.navigation, in: schema) else {
                throw QueryError(
                    "Could not find a property named '\(item.navigation)' on type 'Microsoft.Dynamics.CRM.\(entity.logicalName)'."
                )
            }
            let singleValued = entity.singleNavigations[item.navigation] != nil
            if (singleValued || nested) && (item.options.top != nil || !item.options.orderBy.isEmpty) {
                throw QueryError(Self.expandOptionsRefused)
            }
            try item.options.validate(against: target, in: schema, nestedQuery: nested)
        }
    }
}

extension EntityDefinition {
    /// The table behind navigation property `name`, single- or collection-valued.
    func relatedEntity(_ name: String, in schema: DataverseSchema) -> EntityDefinition? {
        if let single = singleNavigations[name] { return schema.entities[single.target] }
        if let collection = collectionNavigations[name] { return schema.entities[collection.target] }
        return nil
    }
}
