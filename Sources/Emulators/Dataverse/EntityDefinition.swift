import JSON

/// One table the emulator serves: its names, columns and navigation properties.
public struct EntityDefinition: Sendable {
    /// A single-valued navigation property, backed by a lookup column.
    public struct SingleNavigation: Sendable {
        /// The lookup column, such as `customerid`.
        public var lookup: String
        /// The table it points at.
        public var target: String
    }

    /// A collection-valued navigation property: the rows of `target` whose lookup `referencingLookup` points here.
    public struct CollectionNavigation: Sendable {
        /// The table of the related rows.
        public var target: String
        /// The lookup column on `target` that points at this table.
        public var referencingLookup: String
    }

    /// The logical name, such as `salesorder`.
    public var logicalName: String
    /// The entity set name used in URLs, such as `salesorders`.
    public var entitySetName: String
    /// The primary key column, such as `salesorderid`.
    public var primaryIdAttribute: String
    /// The columns by logical name (lookups by their name without `_…_value`).
    public var attributes: [String: AttributeType]
    /// Columns a create may not set (`IsValidForCreate` false in the table reference): a create ignores them.
    public var notValidForCreate: Set<String> = []
    /// Columns an update may not set (`IsValidForUpdate` false): an update ignores them.
    public var notValidForUpdate: Set<String> = []
    /// Single-valued navigation properties by name.
    public var singleNavigations: [String: SingleNavigation]
    /// Collection-valued navigation properties by name.
    public var collectionNavigations: [String: CollectionNavigation]
    /// The schema name, such as `SalesOrder` (`EntityMetadata.SchemaName`).
    public var schemaName: String = ""
    /// The column that names a row, such as `name` (`EntityMetadata.PrimaryNameAttribute`).
    public var primaryNameAttribute: String?
    /// The alternate keys: each a set of columns that identifies a row in a URL, such as
    /// `accounts(accountnumber='A-1001')`.
    public var alternateKeys: [[String]] = []
    /// The lookup of the table's hierarchical relationship (its parent row), such as account's
    /// `parentaccountid`: what the `Above` and `Under` query functions follow.
    public var hierarchyLookup: String?
    /// The choice columns (`PicklistAttributeMetadata`): their options, value and label.
    public var picklists: [String: [(value: Int, label: String)]] = [:]

    /// The body of a create (`creating`) or an update without the columns that operation may not set, as
    /// Dataverse ignores them (docs/dataverse-choices.md).
    func writable(_ body: [String: JSONValue], creating: Bool) -> [String: JSONValue] {
        let refused = creating ? notValidForCreate : notValidForUpdate
        return body.filter { name, _ in
            guard name.hasSuffix("@odata.bind") else { return !refused.contains(name) }
            return bindingLookup(String(name.dropLast("@odata.bind".count))).map { !refused.contains($0.lookup) } ?? true
        }
    }

    /// The type of the property as it appears in a row or a query: `_x_value` resolves to lookup `x`.
    func propertyType(_ property: String) -> AttributeType? {
        if property.hasPrefix("_"), property.hasSuffix("_value") {
            let name = String(property.dropFirst().dropLast(6))
            if case .lookup = attributes[name] { return attributes[name] }
            return nil
        }
        if case .lookup = attributes[property] { return nil }
        return attributes[property]
    }

    /// Every property name a row can have, as the Web API spells them.
    var propertyNames: [String] {
        attributes.map { name, type in
            if case .lookup = type { return "_\(name)_value" }
            return name
        }
    }

    /// The lookup behind a navigation property used in `<nav>@odata.bind`, such as `customerid_account`.
    func bindingLookup(_ navigation: String) -> SingleNavigation? {
        if let direct = singleNavigations[navigation] { return direct }
        for (name, type) in attributes {
            guard case .lookup(let targets) = type else { continue }
            if navigation == name, targets.count == 1 { return SingleNavigation(lookup: name, target: targets[0]) }
            for target in targets where navigation == "\(name)_\(target)" {
                return SingleNavigation(lookup: name, target: target)
            }
        }
        return nil
    }
}
