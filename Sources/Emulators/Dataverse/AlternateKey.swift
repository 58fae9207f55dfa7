import Foundation
import JSON

/// A row addressed by an alternate key instead of its GUID, such as `accounts(accountnumber='A-1001')`
/// ("Use an alternate key to reference a record",
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-alternate-key-reference-record).
/// The columns must be one of the table's alternate keys (`EntityDefinition.alternateKeys`).
struct AlternateKey {
    /// The key's columns and values.
    let values: [String: JSONValue]

    /// Reads `column='text'` or `column=123`, comma-separated, for `entity`.
    /// - Throws: 400 when the text is not such a list, or its columns are not an alternate key of the table.
    init(_ text: String, of entity: EntityDefinition) throws(DataverseFault) {
        var values: [String: JSONValue] = [:]
        let pairs: [String]
        do { pairs = try ODataText.splitTopLevel(text, separator: ",") } catch { throw Self.invalid(text, entity) }
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "=") else { throw Self.invalid(text, entity) }
            let column = pair[..<equals].trimmingCharacters(in: .whitespaces)
            let literal = String(pair[pair.index(after: equals)...])
            if let string = ODataText.unquoted(literal) {
                values[column] = .string(string)
            } else {
                let number = literal.trimmingCharacters(in: .whitespaces)
                guard Decimal(string: number) != nil else { throw Self.invalid(text, entity) }
                values[column] = .number(number)
            }
        }
        guard entity.alternateKeys.contains(where: { Set($0) == Set(values.keys) }) else {
            throw DataverseFault(
                status: 400, code: "0x80060888",
                message: "The key '\(text)' is not an alternate key of \(entity.logicalName); its keys are \(entity.alternateKeys.map { $0.joined(separator: ",") }) or its GUID.")
        }
        self.values = values
    }

    private static func invalid(_ text: String, _ entity: EntityDefinition) -> DataverseFault {
        .badRequest("The key '\(text)' of '\(entity.entitySetName)' is neither a GUID nor column='value' pairs of an alternate key.")
    }

    /// The id of the row of `rows` whose key columns hold these values, or nil.
    func match(in rows: [[String: JSONValue]], entity: EntityDefinition) -> String? {
        rows.first { row in
            values.allSatisfy { column, value in
                guard let stored = row[column] else { return false }
                return stored.stringValue == value.stringValue && stored.numberText == value.numberText
            }
        }?[entity.primaryIdAttribute]?.stringValue
    }
}
