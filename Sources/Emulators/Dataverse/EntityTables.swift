import Foundation
import JSON
import SalesRules
import Synchronization

/// The emulator's tables in memory, as the Web API shows rows (lookups as `_<name>_value`). Every
/// write bumps the global `versionnumber` that ETags are made from. A value: `EntityStore` guards
/// the one copy and hands it to transactions.
public struct EntityTables: Sendable {
    /// One page of a collection query.
    struct Page {
        var rows: [JSONValue]
        var nextSkipToken: String?
        /// How many rows match the filter, for `$count=true` (capped at 5000, as Dataverse caps it).
        var count: Int
    }

    /// The tables served.
    public let schema: DataverseSchema
    private var tables: [String: [String: [String: JSONValue]]] = [:]
    private var version = 1_000
    /// The real caller when a request impersonates another user (`CallerObjectId`, `MSCRMCallerID`):
    /// writes record it in `modifiedonbehalfby`.
    var onBehalfOf: String?
    /// Deleted rows, for change tracking: table, id and the version at deletion.
    private var deletions: [(logicalName: String, id: String, version: Int)] = []
    /// How many rows of each auto-numbered table have been given a number (`AutoNumbering`).
    private var autoNumbered: [String: Int] = [:]
    /// The ids of the rows that point at a row through a lookup some collection navigation follows, by table,
    /// lookup column (`_salesorderid_value`) and the row pointed at: what an expanded collection or a cascading
    /// delete reads, instead of scanning the related table.
    private var referencing: [String: [String: [String: Set<String>]]] = [:]
    /// The lookup columns `referencing` keeps, by table.
    private let referencingColumns: [String: Set<String>]
    /// While a changeset runs: the rows its writes replaced, with what they held before (nil: no row), oldest
    /// first, and how many deletions were recorded before it. Rolling back puts them back instead of copying
    /// every table before each changeset. Changesets run one at a time (`ChangesetGate`); writes of lone requests
    /// that run meanwhile are kept in it too: the emulator isolates a changeset from them no further than that.
    private var undo: (rows: [(logicalName: String, id: String, row: [String: JSONValue]?)], deletions: Int)?

    /// Each table's ids in primary-key order, kept from one page to the next while no row is added or removed: a page
    /// read in key order then starts at its `$skiptoken` and stops once full, instead of filtering the whole table.
    /// Shared by the copies of the tables; an entry serves only the copy whose rows it was built from (`keyTokens`).
    private let keyOrder = KeyOrder()
    /// A token per table, new whenever a row is added to it or removed from it.
    private var keyTokens: [String: Int] = [:]
    private static let nextKeyToken = Atomic<Int>(1)

    private final class KeyOrder: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String: (token: Int, ids: [String])] = [:]

        /// The ids of `table` in order, as built for `token`, or built now by `build`.
        func ids(_ table: String, token: Int, build: () -> [String]) -> [String] {
            if let entry = lock.withLock({ entries[table] }), entry.token == token { return entry.ids }
            let ids = build()
            lock.withLock { entries[table] = (token, ids) }
            return ids
        }
    }

    /// The current version: a delta token taken now covers every change after it.
    var currentVersion: Int { version }

    init(schema: DataverseSchema) {
        self.schema = schema
        var columns: [String: Set<String>] = [:]
        for entity in schema.entities.values {
            for collection in entity.collectionNavigations.values {
                columns[collection.target, default: []].insert("_\(collection.referencingLookup)_value")
            }
        }
        referencingColumns = columns
    }

    /// Starts keeping what writes change, for `endChangeset(rollingBack:)`.
    mutating func beginChangeset() {
        undo = ([], deletions.count)
    }

    /// Ends a changeset: its writes stay, or are undone, newest first.
    mutating func endChangeset(rollingBack: Bool) {
        guard let log = undo else { return }
        undo = nil
        guard rollingBack else { return }
        for entry in log.rows.reversed() { store(entry.row, as: entry.id, in: entry.logicalName) }
        deletions.removeSubrange(log.deletions...)
    }

    /// Puts `row` (nil: none) in place of row `id` of `logicalName`, keeping `referencing` true.
    private mutating func store(_ row: [String: JSONValue]?, as id: String, in logicalName: String) {
        let previous = tables[logicalName]?[id]
        undo?.rows.append((logicalName, id, previous))
        for column in referencingColumns[logicalName] ?? [] {
            let old = previous?[column]?.stringValue, new = row?[column]?.stringValue
            guard old != new else { continue }
            if let old { referencing[logicalName, default: [:]][column, default: [:]][old]?.remove(id) }
            if let new { referencing[logicalName, default: [:]][column, default: [:]][new, default: []].insert(id) }
        }
        if (previous == nil) != (row == nil) {
            keyTokens[logicalName] = Self.nextKeyToken.wrappingAdd(1, ordering: .relaxed).newValue
        }
        tables[logicalName, default: [:]][id] = row
    }

    /// The rows of `logicalName` whose `column` points at row `id`.
    private func rows(_ logicalName: String, referencing id: String, through column: String) -> [[String: JSONValue]] {
        guard let table = tables[logicalName] else { return [] }
        if referencingColumns[logicalName]?.contains(column) == true {
            return (referencing[logicalName]?[column]?[id] ?? []).compactMap { table[$0] }
        }
        return table.values.filter { $0[column]?.stringValue == id }
    }

    func definition(_ logicalName: String) throws(DataverseFault) -> EntityDefinition {
        guard let entity = schema.entities[logicalName] else { throw DataverseFault.resourceNotFound(logicalName) }
        return entity
    }

    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
            .replacingOccurrences(of: "+0000", with: "Z")
    }

    // MARK: Reads

    /// One row, or nil.
    public func row(_ logicalName: String, id: String) -> [String: JSONValue]? {
        tables[logicalName]?[id.lowercased()]
    }

    /// Every row of a table, in primary-key order.
    public func rows(_ logicalName: String) -> [[String: JSONValue]] {
        let key = schema.entities[logicalName]?.primaryIdAttribute ?? ""
        return (tables[logicalName] ?? [:]).values.sorted {
            ($0[key]?.stringValue ?? "") < ($1[key]?.stringValue ?? "")
        }
    }

    /// One page of `entity`'s rows that match `options`.
    /// - Parameters:
    ///   - parent: Only the rows whose lookup points at this row, for a navigation path such as
    ///     `salesorders(<id>)/order_details`.
    ///   - collections: How expanded collections are answered.
    func query(
        _ entity: EntityDefinition, options: QueryOptions, pageSize: Int, parent: (lookup: String, id: String)? = nil,
        collections: ExpandedCollections? = nil
    ) throws(DataverseFault) -> Page {
        do {
            let ordering = RowOrdering(orderBy: options.orderBy, primaryKey: entity.primaryIdAttribute)
            let filter = resolvingHierarchy(options.filter, of: entity)
            let now = Date()
            let table = tables[entity.logicalName] ?? [:]
            let children = parent.map { rows(entity.logicalName, referencing: $0.id, through: "_\($0.lookup)_value") }
            let named = filter?.keys(entity.primaryIdAttribute).map { ids in ids.compactMap { table[$0] } }
            if let after = options.skipAfter, after.count != ordering.keys.count {
                throw .badQuery(QueryError("The $skiptoken does not belong to this query; follow @odata.nextLink unchanged."))
            }
            if children == nil, named == nil, options.orderBy.isEmpty {
                return pageInKeyOrder(entity, options: options, pageSize: pageSize, ordering: ordering, filter: filter, now: now, collections: collections)
            }
            var candidates = (children ?? named ?? Array(table.values)).filter { row in
                filter?.matches(row, in: entity, now: now) ?? true
            }.map { (key: ordering.sortKey($0), row: $0) }
            let matching = candidates.count
            if let after = options.skipAfter { candidates.removeAll { !ordering.isOrderedBefore(after, $0.key) } }
            let limit = min(options.top ?? Int.max, pageSize)
            let page = ordering.first(limit, of: candidates)
            let more = options.top == nil && candidates.count > limit
            return Page(
                rows: page.map { project($0.row, entity: entity, options: options, collections: collections) },
                nextSkipToken: more ? page.last.map { RowOrdering.token(after: $0.key) } : nil,
                count: min(matching, 5000))
        }
    }

    /// A page of a whole table read in primary-key order: the rows after the `$skiptoken` are walked in order until
    /// the page is full and one more row shows there are more. The count, when asked for, stops at Dataverse's cap.
    private func pageInKeyOrder(
        _ entity: EntityDefinition, options: QueryOptions, pageSize: Int, ordering: RowOrdering, filter: FilterExpression?, now: Date,
        collections: ExpandedCollections?
    ) -> Page {
        let table = tables[entity.logicalName] ?? [:]
        let ids = keyOrder.ids(entity.logicalName, token: keyTokens[entity.logicalName] ?? 0) { table.keys.sorted() }
        let matches = { (row: [String: JSONValue]) in filter?.matches(row, in: entity, now: now) ?? true }
        var start = ids.startIndex
        if let after = options.skipAfter?.first?.stringValue {
            var (low, high) = (ids.startIndex, ids.endIndex)
            while low < high {
                let middle = (low + high) / 2
                if ids[middle] <= after { low = middle + 1 } else { high = middle }
            }
            start = low
        }
        let limit = min(options.top ?? Int.max, pageSize)
        var rows: [[String: JSONValue]] = []
        var more = false
        for id in ids[start...] {
            guard let row = table[id], matches(row) else { continue }
            guard rows.count < limit else {
                more = options.top == nil
                break
            }
            rows.append(row)
        }
        var count = 0
        if options.count {
            for row in table.values where matches(row) {
                count += 1
                if count == 5000 { break }
            }
        }
        return Page(
            rows: rows.map { project($0, entity: entity, options: options, collections: collections) },
            nextSkipToken: more ? rows.last.map { RowOrdering.token(after: ordering.sortKey($0)) } : nil, count: count)
    }

    /// `filter` with its hierarchy functions (`Under`, `Above`, …) given the rows they reach in `entity`'s hierarchy.
    private func resolvingHierarchy(_ filter: FilterExpression?, of entity: EntityDefinition) -> FilterExpression? {
        guard let filter, let lookup = entity.hierarchyLookup, filter.usesHierarchy else { return filter }
        var parent: [String: String] = [:]
        for (id, row) in tables[entity.logicalName] ?? [:] {
            if let parentId = row["_\(lookup)_value"]?.stringValue { parent[id] = parentId.lowercased() }
        }
        return filter.mappingCalls { $0.resolvingHierarchy(parent: parent) }
    }

    /// What Dynamics shows for a value: state and status labels, choice labels, Yes/No, a lookup's name, money in
    /// the row's currency with its symbol, thousands separators and two decimals (`$1,197.60`).
    private func formattedValue(_ property: String, _ value: JSONValue, row: [String: JSONValue], entity: EntityDefinition)
        -> String?
    {
        if value.isNull { return nil }
        if entity.logicalName == "salesorder", let code = value.intValue {
            if property == "statecode" { return OrderState(rawValue: code)?.label }
            if property == "statuscode" { return OrderStatus(rawValue: code)?.label }
        }
        if let options = entity.picklists[property], let code = value.intValue {
            return options.first { $0.value == code }?.label
        }
        switch entity.propertyType(property) {
        case .boolean: return value.boolValue == true ? "Yes" : "No"
        case .lookup(let targets):
            guard let id = value.stringValue else { return nil }
            for target in targets {
                if let row = tables[target]?[id] { return (row["name"] ?? row["fullname"])?.stringValue }
            }
            return nil
        case .money:
            guard let amount = value.numberText.flatMap({ Decimal(string: $0) }) else { return nil }
            let currency = row["_transactioncurrencyid_value"]?.stringValue.flatMap { tables["transactioncurrency"]?[$0] }
            let code = currency?["isocurrencycode"]?.stringValue ?? "USD"
            let symbol = ["USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"][code] ?? "\(code) "
            let digits = Money.literal(abs(amount))
            let whole = digits.split(separator: ".").first.map(String.init) ?? digits
            let fraction = digits.split(separator: ".").dropFirst().first.map { ".\($0)" } ?? ""
            var grouped = ""
            for (index, character) in whole.reversed().enumerated() {
                if index > 0, index % 3 == 0 { grouped.append(",") }
                grouped.append(character)
            }
            return (amount < 0 ? "-" : "") + symbol + String(grouped.reversed()) + fraction
        default: return nil
        }
    }

    /// The rows of `entity` changed since `version` (as `options` select them), then its rows deleted since, as
    /// `$deletedEntity` entries.
    func changes(_ entity: EntityDefinition, since version: Int, options: QueryOptions, root: String) -> [JSONValue] {
        let changed = (tables[entity.logicalName] ?? [:]).values
            .filter { ($0["versionnumber"]?.intValue ?? 0) > version }
            .sorted { ($0["versionnumber"]?.intValue ?? 0) < ($1["versionnumber"]?.intValue ?? 0) }
            .map { project($0, entity: entity, options: options) }
        let deleted = deletions.filter { $0.logicalName == entity.logicalName && $0.version > version }.map { deletion -> JSONValue in
            [
                "@odata.context": .string("\(root)/$metadata#\(entity.entitySetName)/$deletedEntity"),
                "id": .string(deletion.id), "reason": "deleted",
            ]
        }
        return changed + deleted
    }

    func retrieve(
        _ entity: EntityDefinition, id: String, options: QueryOptions, collections: ExpandedCollections? = nil
    ) throws(DataverseFault) -> JSONValue {
        do {
            guard let row = tables[entity.logicalName]?[id.lowercased()] else {
                throw .notFound(entity.logicalName, id: id)
            }
            return project(row, entity: entity, options: options, collections: collections)
        }
    }

    /// The row as the Web API returns it: the selected properties (all when none are), the ETag, and expansions.
    /// `collections` says how expanded collections are paged and linked (nil: neither, for answers to writes);
    private func project(
        _ row: [String: JSONValue], entity: EntityDefinition, options: QueryOptions,
        collections: ExpandedCollections? = nil
    ) -> JSONValue {
        var output: [String: JSONValue] = [:]
        for property in options.select ?? entity.propertyNames { output[property] = row[property] ?? .null }
        output[entity.primaryIdAttribute] = row[entity.primaryIdAttribute]
        if let version = row["versionnumber"]?.numberText { output["@odata.etag"] = .string("W/\"\(version)\"") }
        if options.formattedValues {
            for (property, value) in output where !property.hasPrefix("@") {
                if let text = formattedValue(property, value, row: row, entity: entity) {
                    output["\(property)@OData.Community.Display.V1.FormattedValue"] = .string(text)
                }
            }
        }
        for item in options.expand {
            if let single = entity.singleNavigations[item.navigation], let target = schema.entities[single.target] {
                let related = row["_\(single.lookup)_value"]?.stringValue.flatMap {
                    tables[target.logicalName]?[$0]
                }
                output[item.navigation] =
                    related.map { project($0, entity: target, options: item.options, collections: collections) } ?? .null
            } else if let collection = entity.collectionNavigations[item.navigation],
                let target = schema.entities[collection.target]
            {
                let id = row[entity.primaryIdAttribute] ?? .null
                let ordering = RowOrdering(orderBy: item.options.orderBy, primaryKey: target.primaryIdAttribute)
                let lookup = "_\(collection.referencingLookup)_value"
                let candidates = id.stringValue.map { rows(target.logicalName, referencing: $0, through: lookup) } ?? []
                let filter = resolvingHierarchy(item.options.filter, of: target)
                let related = candidates.filter { filter?.matches($0, in: target) ?? true }.sorted { ordering.isOrderedBefore(ordering.sortKey($0), ordering.sortKey($1)) }
                let pageSize = collections?.nested == true ? collections?.pageSize : nil
                let served = related.prefix(pageSize ?? item.options.top ?? Int.max)
                output[item.navigation] = .array(
                    served.map { project($0, entity: target, options: item.options, collections: collections) })
                if let collections, let id = id.stringValue, !collections.nested || served.count < related.count {
                    output["\(item.navigation)@odata.nextLink"] = .string(
                        collections.link(
                            entitySet: entity.entitySetName, id: id, navigation: item.navigation, parameters: item.parameters,
                            skipToken: collections.nested ? served.last.map { RowOrdering.token(after: ordering.sortKey($0)) } : nil))
                }
            }
        }
        return .object(output)
    }

    // MARK: Writes

    /// Creates a row from a Web API body and returns its id. A quote, order or invoice created
    /// without its number is numbered as Dynamics' auto-numbering numbers it (`AutoNumbering`).
    /// - Parameters:
    ///   - logicalName: The table.
    ///   - body: Columns and `<navigation>@odata.bind` references; it may carry the primary key.
    ///   - caller: The `systemuserid` of the caller, recorded as creator, modifier and default owner.
    @discardableResult
    public mutating func create(_ logicalName: String, body: [String: JSONValue], caller: String?) throws(DataverseFault) -> String {
        let entity = try definition(logicalName)
        do {
            var row = try resolve(body, for: entity)
            let id = row[entity.primaryIdAttribute]?.stringValue?.lowercased() ?? UUID().uuidString.lowercased()
            guard tables[logicalName]?[id] == nil else { throw .duplicate(logicalName, id: id) }
            row[entity.primaryIdAttribute] = .string(id)
            if let numbering = AutoNumbering.columns[logicalName], row[numbering.column]?.stringValue?.isEmpty ?? true {
                let sequence = autoNumbered[logicalName, default: 0]
                autoNumbered[logicalName] = sequence + 1
                row[numbering.column] = .string(AutoNumbering.number(prefix: numbering.prefix, sequence: sequence, id: id))
            }
            let now = Self.timestamp()
            row["createdon"] = .string(now)
            if let caller {
                row["_createdby_value"] = .string(caller)
                if case .lookup = entity.attributes["ownerid"], row["_ownerid_value"] == nil {
                    row["_ownerid_value"] = .string(caller)
                }
            }
            stamp(&row, caller: caller, now: now)
            store(row, as: id, in: logicalName)
            return id
        }
    }

    /// Updates a row; `ifMatch` is an ETag (`W/"123"`) or `*`.
    public mutating func update(
        _ logicalName: String, id: String, body: [String: JSONValue], ifMatch: String?, caller: String?
    ) throws(DataverseFault) {
        let entity = try definition(logicalName)
        do {
            let key = id.lowercased()
            guard var row = tables[logicalName]?[key] else { throw .notFound(logicalName, id: id) }
            try checkETag(ifMatch, row: row)
            let changes = try resolve(body, for: entity)
            for (name, value) in changes where name != entity.primaryIdAttribute { row[name] = value }
            stamp(&row, caller: caller, now: Self.timestamp())
            store(row, as: key, in: logicalName)
        }
    }

    /// Deletes a row and the rows of its collection navigations (order lines go with their order).
    public mutating func delete(_ logicalName: String, id: String, ifMatch: String?) throws(DataverseFault) {
        let entity = try definition(logicalName)
        do {
            let key = id.lowercased()
            guard let row = tables[logicalName]?[key] else { throw .notFound(logicalName, id: id) }
            try checkETag(ifMatch, row: row)
            store(nil, as: key, in: logicalName)
            version += 1
            deletions.append((logicalName, key, version))
            for collection in entity.collectionNavigations.values {
                let column = "_\(collection.referencingLookup)_value"
                for child in rows(collection.target, referencing: key, through: column) {
                    if let childId = child[schema.entities[collection.target]?.primaryIdAttribute ?? ""]?.stringValue {
                        store(nil, as: childId, in: collection.target)
                    }
                }
            }
        }
    }

    private func checkETag(_ ifMatch: String?, row: [String: JSONValue]) throws(DataverseFault) {
        guard let ifMatch, ifMatch != "*" else { return }
        let current = "W/\"\(row["versionnumber"]?.numberText ?? "")\""
        guard ifMatch == current else { throw .versionMismatch }
    }

    private mutating func stamp(_ row: inout [String: JSONValue], caller: String?, now: String) {
        version += 1
        row["versionnumber"] = .int(version)
        row["modifiedon"] = .string(now)
        if let caller { row["_modifiedby_value"] = .string(caller) }
        row["_modifiedonbehalfby_value"] = onBehalfOf.map(JSONValue.string) ?? .null
    }

    /// Turns a request body into stored columns, refusing unknown properties and values of the wrong type.
    private func resolve(_ body: [String: JSONValue], for entity: EntityDefinition) throws(DataverseFault)
        -> [String: JSONValue]
    {
        var row: [String: JSONValue] = [:]
        for (name, value) in body {
            if name.hasPrefix("@odata.") { continue }
            if name.hasSuffix("@odata.bind") {
                let navigation = String(name.dropLast("@odata.bind".count))
                guard let binding = entity.bindingLookup(navigation) else {
                    throw .badRequest(
                        "An undeclared property '\(navigation)' which only has property annotations in the payload but no property value was found in the payload."
                    )
                }
                row["_\(binding.lookup)_value"] = try resolveReference(value, binding: binding)
                continue
            }
            guard let type = entity.attributes[name] else {
                throw .badRequest(
                    "The property '\(name)' does not exist on type 'Microsoft.Dynamics.CRM.\(entity.logicalName)'. Make sure to only use property names that are defined by the type."
                )
            }
            if case .lookup = type {
                throw .badRequest("The lookup '\(name)' is set with '\(name)_<table>@odata.bind', not as a value.")
            }
            try Self.checkType(value, type, property: name)
            row[name] = value
        }
        return row
    }

    /// The id a create body binds lookup `lookup` to, or nil when it does not bind it.
    func boundId(_ body: [String: JSONValue], entity: EntityDefinition, lookup: String) throws(DataverseFault) -> String? {
        for (name, value) in body where name.hasSuffix("@odata.bind") {
            guard let binding = entity.bindingLookup(String(name.dropLast("@odata.bind".count))),
                binding.lookup == lookup
            else { continue }
            return try resolveReference(value, binding: binding).stringValue
        }
        return nil
    }

    private func resolveReference(_ value: JSONValue, binding: EntityDefinition.SingleNavigation) throws(DataverseFault)
        -> JSONValue
    {
        if value.isNull { return .null }
        guard let reference = value.stringValue, let open = reference.lastIndex(of: "("), reference.hasSuffix(")"),
            let target = schema.entities[binding.target]
        else { throw .badRequest("The @odata.bind value '\(value.jsonText)' is not an entity reference such as '/accounts(<id>)'.") }
        let setName = reference[..<open].split(separator: "/").last.map(String.init)
        let id = String(reference[reference.index(after: open)..<reference.index(before: reference.endIndex)]).lowercased()
        guard setName == target.entitySetName else {
            throw .badRequest("The @odata.bind value '\(reference)' must point at '\(target.entitySetName)'.")
        }
        guard tables[target.logicalName]?[id] != nil else { throw .notFound(target.logicalName, id: id) }
        return .string(id)
    }

    private static func checkType(_ value: JSONValue, _ type: AttributeType, property: String) throws(DataverseFault) {
        let valid: Bool
        switch (type, value) {
        case (_, .null): valid = true
        case (.string, .string), (.memo, .string): valid = true
        case (.guid, .string(let text)): valid = FilterParser.isGUID(text)
        case (.dateTime, .string(let text)): valid = text.count >= 10
        case (.integer, .number(let text)): valid = Int(text) != nil
        case (.decimal, .number), (.money, .number): valid = true
        case (.boolean, .bool): valid = true
        default: valid = false
        }
        guard valid else {
            throw .badRequest("Cannot convert the literal '\(value.jsonText)' to the expected type '\(type.edmName)' of '\(property)'.")
        }
    }
}
