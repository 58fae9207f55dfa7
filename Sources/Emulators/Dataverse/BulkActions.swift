import Foundation
import JSON

/// `CreateMultiple`, `UpdateMultiple` and `UpsertMultiple`, bound to an entity set
/// (`POST accounts/Microsoft.Dynamics.CRM.CreateMultiple` with `{"Targets": [...]}`), all or nothing in one
/// transaction ("Use bulk operation messages",
/// https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations). Each target names its
/// table with `@odata.type`; every row goes through the same Sales rules as a single write.
enum BulkActions: String {
    case createMultiple = "CreateMultiple"
    case updateMultiple = "UpdateMultiple"
    case upsertMultiple = "UpsertMultiple"

    /// Runs the action on `entity` with the request's `parameters`; returns the answer's body, or nil for 204.
    func run(
        on entity: EntityDefinition, parameters: [String: JSONValue], callerId: String, root: String,
        in tables: inout EntityTables
    ) throws(DataverseFault) -> JSONValue? {
        guard let targets = parameters["Targets"]?.arrayValue, !targets.isEmpty else {
            throw .badRequest("\(rawValue) needs Targets: a non-empty array of \(entity.logicalName) rows.")
        }
        var ids: [String] = []
        var results: [JSONValue] = []
        for (index, target) in targets.enumerated() {
            guard var fields = target.objectValue else { throw .badRequest("Targets[\(index)] of \(rawValue) is not an object.") }
            let type = fields.removeValue(forKey: "@odata.type")?.stringValue
            guard type == "Microsoft.Dynamics.CRM.\(entity.logicalName)" || type == "#Microsoft.Dynamics.CRM.\(entity.logicalName)" else {
                throw .badRequest(
                    "Targets[\(index)] of \(rawValue) needs \"@odata.type\": \"Microsoft.Dynamics.CRM.\(entity.logicalName)\" (found \(type.map { "'\($0)'" } ?? "none")).")
            }
            let reference = fields.removeValue(forKey: "@odata.id")?.stringValue
            let key = try Self.id(of: &fields, reference: reference, entity: entity, in: tables)
            switch self {
            case .createMultiple:
                fields.merge(key?.values ?? [:]) { own, _ in own }
                if let key { fields[entity.primaryIdAttribute] = .string(key.id) }
                ids.append(try SalesBehavior.create(entity, body: fields, callerId: callerId, in: &tables))
            case .updateMultiple:
                guard let key, tables.row(entity.logicalName, id: key.id) != nil else {
                    throw key.map { .notFound(entity.logicalName, id: $0.id) }
                        ?? .badRequest("Targets[\(index)] of UpdateMultiple needs its \(entity.primaryIdAttribute).")
                }
                try SalesBehavior.update(entity, id: key.id, body: fields, ifMatch: nil, callerId: callerId, in: &tables)
            case .upsertMultiple:
                let id: String
                let created: Bool
                if let key, tables.row(entity.logicalName, id: key.id) != nil {
                    try SalesBehavior.update(entity, id: key.id, body: fields, ifMatch: nil, callerId: callerId, in: &tables)
                    (id, created) = (key.id, false)
                } else {
                    fields.merge(key?.values ?? [:]) { own, _ in own }
                    if let key { fields[entity.primaryIdAttribute] = .string(key.id) }
                    (id, created) = (try SalesBehavior.create(entity, body: fields, callerId: callerId, in: &tables), true)
                }
                results.append([
                    "RecordCreated": .bool(created),
                    "Target": ["@odata.type": .string("#Microsoft.Dynamics.CRM.\(entity.logicalName)"), entity.primaryIdAttribute: .string(id)],
                ])
            }
        }
        let context = "\(root)/$metadata#Microsoft.Dynamics.CRM.\(rawValue)Response"
        switch self {
        case .createMultiple: return ["@odata.context": .string(context), "Ids": .array(ids.map(JSONValue.string))]
        case .updateMultiple: return nil
        case .upsertMultiple: return ["@odata.context": .string(context), "Results": .array(results)]
        }
    }

    /// The row a target names: its primary key, or the alternate key of its `@odata.id` (`accounts(accountnumber='A-1')`),
    /// with the key's values, which a create sets; nil when it names none.
    private static func id(
        of fields: inout [String: JSONValue], reference: String?, entity: EntityDefinition, in tables: EntityTables
    ) throws(DataverseFault) -> (id: String, values: [String: JSONValue])? {
        if let id = fields[entity.primaryIdAttribute]?.stringValue {
            guard FilterParser.isGUID(id) else { throw .badRequest("The \(entity.primaryIdAttribute) '\(id)' is not a GUID.") }
            return (id.lowercased(), [:])
        }
        guard let reference else { return nil }
        let segments = ODataText.segments(reference.hasPrefix("/") ? String(reference.dropFirst()) : reference)
        guard segments.count == 1, segments[0].name == entity.entitySetName, let text = segments[0].key else {
            throw .badRequest("The @odata.id '\(reference)' must name a row of \(entity.entitySetName), such as \(entity.entitySetName)(<id>).")
        }
        let key = try RowKey(text, of: entity)
        return (try key.id(in: tables, entity: entity, creating: true), key.values)
    }
}
