import Foundation
import JSON

/// How a URL names a row: by its GUID, or by an alternate key (`accounts(accountnumber='A-1001')`), which is
/// looked up inside the transaction that uses it, so that the row found is the row read or written.
enum RowKey {
    case id(String)
    case alternate(AlternateKey, text: String)

    /// Reads the text between a URL's parentheses for `entity`.
    init(_ text: String, of entity: EntityDefinition) throws(DataverseFault) {
        self = FilterParser.isGUID(text) ? .id(text.lowercased()) : .alternate(try AlternateKey(text, of: entity), text: text)
    }

    /// The row's id in `tables`. An alternate key that matches no row names a new row when `creating` (a PATCH
    /// is an upsert), and is a 404 otherwise.
    func id(in tables: EntityTables, entity: EntityDefinition, creating: Bool) throws(DataverseFault) -> String {
        switch self {
        case .id(let id):
            return id
        case .alternate(let key, let text):
            if let id = key.match(in: tables.rows(entity.logicalName), entity: entity) { return id }
            guard creating else { throw .notFound(entity.logicalName, id: text) }
            return UUID().uuidString.lowercased()
        }
    }

    /// The columns a row created by this key gets: the alternate key's values.
    var values: [String: JSONValue] {
        if case .alternate(let key, _) = self { return key.values }
        return [:]
    }
}
