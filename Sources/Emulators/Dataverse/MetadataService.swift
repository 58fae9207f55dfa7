import Foundation
import JSON
import SalesRules

/// The table definitions as the Web API's metadata serves them (`EntityDefinitions`), from the emulator's
/// schema: what Microsoft's SDKs read before they touch a table ("Query table definitions using the Web API",
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api).
///
/// Serves `EntityDefinitions`, `EntityDefinitions(<MetadataId>)`, `EntityDefinitions(LogicalName='…')`, their
/// `Attributes`, `Attributes(LogicalName='…')` and the casts `Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`,
/// `…StateAttributeMetadata` and `…StatusAttributeMetadata` (with `$expand=OptionSet`), with `$select` and `$filter`.
struct MetadataService {
    let schema: DataverseSchema
    let root: String

    /// The EntityMetadata properties served, by type, for `$select` and `$filter`.
    private static let entityProperties: [String: AttributeType] = [
        "MetadataId": .guid, "LogicalName": .string, "SchemaName": .string, "EntitySetName": .string,
        "LogicalCollectionName": .string, "PrimaryIdAttribute": .string, "PrimaryNameAttribute": .string,
        "ObjectTypeCode": .integer, "IsPrivate": .boolean, "IsCustomEntity": .boolean, "IsActivity": .boolean,
        "ChangeTrackingEnabled": .boolean, "CanChangeTrackingBeEnabled": .string,
    ]

    /// The AttributeMetadata properties served.
    private static let attributeProperties: [String: AttributeType] = [
        "MetadataId": .guid, "LogicalName": .string, "SchemaName": .string, "AttributeType": .string,
        "AttributeTypeName": .string, "IsPrimaryId": .boolean, "IsPrimaryName": .boolean, "IsValidForCreate": .boolean,
        "IsValidForUpdate": .boolean, "IsValidForRead": .boolean, "AttributeOf": .string, "EntityLogicalName": .string,
        "IsCustomAttribute": .boolean, "Targets": .string, "OptionSet": .string,
    ]

    private static func definition(_ name: String, _ properties: [String: AttributeType]) -> EntityDefinition {
        EntityDefinition(
            logicalName: name, entitySetName: name, primaryIdAttribute: "MetadataId", attributes: properties,
            singleNavigations: [:], collectionNavigations: [:])
    }

    /// Answers a GET of `path` (the segments after the API root, starting `EntityDefinitions`).
    func answer(_ path: String, query: [(name: String, value: String)]) throws(DataverseFault) -> JSONValue {
        let options: QueryOptions
        do { options = try QueryOptions.parse(query) } catch { throw .badQuery(error) }
        let segments = ODataText.segments(path)
        guard segments.first?.name == "EntityDefinitions" else { throw .resourceNotFound(path) }
        let entityType = Self.definition("EntityMetadata", Self.entityProperties)
        guard segments.count > 1 || segments[0].key != nil else {
            let rows = schema.entities.values.sorted { $0.logicalName < $1.logicalName }.map(entityRow)
            return try collection(rows, type: entityType, options: options, context: "EntityDefinitions")
        }
        let entity = try find(segments[0].key ?? "")
        if segments.count == 1 {
            return try single(entityRow(entity), type: entityType, options: options, context: "EntityDefinitions/$entity")
        }
        guard segments[1].name == "Attributes", segments.count <= 3 else { throw .resourceNotFound(path) }
        let attributeType = Self.definition("AttributeMetadata", Self.attributeProperties)
        var rows = attributeRows(entity)
        if segments.count == 3 {
            let cast = segments[2].name
            let wanted: String
            switch cast {
            case "Microsoft.Dynamics.CRM.PicklistAttributeMetadata": wanted = "Picklist"
            case "Microsoft.Dynamics.CRM.StateAttributeMetadata": wanted = "State"
            case "Microsoft.Dynamics.CRM.StatusAttributeMetadata": wanted = "Status"
            default: throw .resourceNotFound(cast)
            }
            rows = rows.filter { $0["AttributeType"]?.stringValue == wanted }
            return try collection(
                rows, type: attributeType, options: options, context: "EntityDefinitions('\(entity.logicalName)')/Attributes/\(cast)")
        }
        if let key = segments[1].key {
            let name = Self.logicalName(key) ?? ""
            guard let row = rows.first(where: { $0["LogicalName"]?.stringValue == name || $0["MetadataId"]?.stringValue == key.lowercased() }) else {
                throw DataverseFault(status: 404, code: "0x80040217", message: "Could not find attribute '\(key)' on \(entity.logicalName).")
            }
            return try single(row, type: attributeType, options: options, context: "EntityDefinitions('\(entity.logicalName)')/Attributes/$entity")
        }
        return try collection(rows, type: attributeType, options: options, context: "EntityDefinitions('\(entity.logicalName)')/Attributes")
    }

    /// `EntityDefinitions(…)`'s key: a MetadataId or `LogicalName='…'`.
    private func find(_ key: String) throws(DataverseFault) -> EntityDefinition {
        let found: EntityDefinition? =
            if let name = Self.logicalName(key) { schema.entities[name] } else {
                schema.entities.values.first { Self.metadataId($0) == key.lowercased() }
            }
        guard let found else {
            throw DataverseFault(status: 404, code: "0x80040217", message: "Could not find an entity with key '\(key)'.")
        }
        return found
    }

    /// The name in `LogicalName='x'`, or nil.
    private static func logicalName(_ key: String) -> String? {
        guard key.hasPrefix("LogicalName='"), key.hasSuffix("'") else { return nil }
        return String(key.dropFirst("LogicalName='".count).dropLast()).lowercased()
    }

    private static func metadataId(_ entity: EntityDefinition) -> String {
        DemoData.guid("ed", abs(entity.logicalName.hashValueStable) % 1_000_000)
    }

    private func entityRow(_ entity: EntityDefinition) -> [String: JSONValue] {
        [
            "MetadataId": .string(Self.metadataId(entity)), "LogicalName": .string(entity.logicalName),
            "SchemaName": .string(entity.schemaName), "EntitySetName": .string(entity.entitySetName),
            "LogicalCollectionName": .string(entity.entitySetName), "PrimaryIdAttribute": .string(entity.primaryIdAttribute),
            "PrimaryNameAttribute": entity.primaryNameAttribute.map(JSONValue.string) ?? .null,
            "IsPrivate": false, "IsCustomEntity": false, "IsActivity": false, "ChangeTrackingEnabled": true,
            "CanChangeTrackingBeEnabled": [
                "Value": true, "CanBeChanged": false, "ManagedPropertyLogicalName": "canchangetrackingbeenabled",
            ],
        ]
    }

    private func attributeRows(_ entity: EntityDefinition) -> [[String: JSONValue]] {
        entity.attributes.keys.sorted().map { name in
            let type = entity.attributes[name]!
            let kind: String
            if name == entity.primaryIdAttribute {
                kind = "Uniqueidentifier"
            } else if name == "statecode", entity.logicalName == "salesorder" {
                kind = "State"
            } else if name == "statuscode", entity.logicalName == "salesorder" {
                kind = "Status"
            } else if entity.picklists[name] != nil {
                kind = "Picklist"
            } else {
                kind =
                    switch type {
                    case .guid: "Uniqueidentifier"
                    case .string: "String"
                    case .memo: "Memo"
                    case .integer: "Integer"
                    case .decimal: "Decimal"
                    case .money: "Money"
                    case .boolean: "Boolean"
                    case .dateTime: "DateTime"
                    case .lookup: name == "ownerid" ? "Owner" : "Lookup"
                    }
            }
            var row: [String: JSONValue] = [
                "@odata.type": .string("#Microsoft.Dynamics.CRM.\(kind == "Uniqueidentifier" ? "" : kind)AttributeMetadata"),
                "MetadataId": .string(DemoData.guid("ea", abs("\(entity.logicalName).\(name)".hashValueStable) % 1_000_000)),
                "LogicalName": .string(name), "SchemaName": .string(name), "EntityLogicalName": .string(entity.logicalName),
                "AttributeType": .string(kind), "AttributeTypeName": ["Value": .string("\(kind)Type")],
                "IsPrimaryId": .bool(name == entity.primaryIdAttribute), "IsPrimaryName": .bool(name == entity.primaryNameAttribute),
                "IsValidForCreate": .bool(!entity.notValidForCreate.contains(name)),
                "IsValidForUpdate": .bool(!entity.notValidForUpdate.contains(name)),
                "IsValidForRead": true, "IsCustomAttribute": false, "AttributeOf": .null,
            ]
            if case .lookup(let targets) = type { row["Targets"] = .array(targets.map(JSONValue.string)) }
            if let options = optionSet(entity, name, kind) { row["OptionSet"] = options }
            return row
        }
    }

    /// The options of a choice, state or status column, with their labels as Dataverse writes labels.
    private func optionSet(_ entity: EntityDefinition, _ name: String, _ kind: String) -> JSONValue? {
        let options: [(value: Int, label: String, state: Int?)]
        switch kind {
        case "Picklist": options = (entity.picklists[name] ?? []).map { ($0.value, $0.label, nil) }
        case "State": options = OrderState.allCases.map { ($0.rawValue, $0.label, nil) }
        case "Status": options = OrderStatus.allCases.map { ($0.rawValue, $0.label, $0.state.rawValue) }
        default: return nil
        }
        return [
            "Name": .string("\(entity.logicalName)_\(name)"),
            "Options": .array(options.map { option in
                let label: JSONValue = ["Label": .string(option.label), "LanguageCode": 1033]
                var entry: [String: JSONValue] = [
                    "Value": .int(option.value),
                    "Label": ["LocalizedLabels": .array([label]), "UserLocalizedLabel": label],
                ]
                if let state = option.state { entry["State"] = .int(state) }
                return .object(entry)
            }),
        ]
    }

    private func collection(
        _ rows: [[String: JSONValue]], type: EntityDefinition, options: QueryOptions, context: String
    ) throws(DataverseFault) -> JSONValue {
        try check(options, type)
        let matching = rows.filter { options.filter?.matches($0, in: type) ?? true }
        return ["@odata.context": .string("\(root)/$metadata#\(context)"), "value": .array(matching.map { project($0, options) })]
    }

    private func single(
        _ row: [String: JSONValue], type: EntityDefinition, options: QueryOptions, context: String
    ) throws(DataverseFault) -> JSONValue {
        try check(options, type)
        var projected = project(row, options).objectValue ?? [:]
        projected["@odata.context"] = .string("\(root)/$metadata#\(context)")
        return .object(projected)
    }

    private func check(_ options: QueryOptions, _ type: EntityDefinition) throws(DataverseFault) {
        do throws(QueryError) {
            for property in options.select ?? [] { _ = try QueryError.requireProperty(property, in: type) }
            try options.filter?.validate(against: type)
            for item in options.expand where !["Attributes", "OptionSet"].contains(item.navigation) {
                throw QueryError("Could not find a property named '\(item.navigation)' on type 'Microsoft.Dynamics.CRM.\(type.logicalName)'.")
            }
        } catch {
            throw .badQuery(error)
        }
    }

    /// The selected properties (all when none are), `MetadataId` always, and the expansions asked for.
    private func project(_ row: [String: JSONValue], _ options: QueryOptions) -> JSONValue {
        var output: [String: JSONValue] = ["MetadataId": row["MetadataId"] ?? .null]
        if let type = row["@odata.type"] { output["@odata.type"] = type }
        let hidden: Set<String> = ["OptionSet", "@odata.type"]
        for name in options.select ?? row.keys.filter({ !hidden.contains($0) }) { output[name] = row[name] ?? .null }
        for item in options.expand {
            if item.navigation == "OptionSet" { output["OptionSet"] = row["OptionSet"] ?? .null }
            if item.navigation == "Attributes", let name = row["LogicalName"]?.stringValue, let entity = schema.entities[name] {
                output["Attributes"] = .array(attributeRows(entity).map { project($0, item.options) })
            }
        }
        return .object(output)
    }
}

extension String {
    /// A hash that is the same in every run (FNV-1a), unlike `hashValue`.
    fileprivate var hashValueStable: Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int(hash & 0x7fff_ffff)
    }
}
