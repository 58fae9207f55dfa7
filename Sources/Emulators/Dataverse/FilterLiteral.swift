import Foundation
import JSON

/// A literal on the right of a `$filter` comparison.
enum FilterLiteral: Sendable, Equatable {
    case null
    case boolean(Bool)
    case number(String)
    case string(String)
    case guid(String)
    case dateTime(String)

    /// `text` read as a value of a column of `type`, as Dataverse reads the values of query functions and
    /// FetchXML conditions; nil when it is not one.
    init?(text: String, as type: AttributeType) {
        switch type {
        case .string, .memo: self = .string(text)
        case .integer, .decimal, .money:
            guard Decimal(string: text) != nil else { return nil }
            self = .number(text)
        case .boolean:
            guard text == "true" || text == "false" || text == "1" || text == "0" else { return nil }
            self = .boolean(text == "true" || text == "1")
        case .guid, .lookup:
            let bare = text.trimmingCharacters(in: ["{", "}"])
            guard FilterParser.isGUID(bare) else { return nil }
            self = .guid(bare)
        case .dateTime:
            guard text.count >= 10 else { return nil }
            self = .dateTime(text)
        }
    }

    var edmName: String {
        switch self {
        case .null: "null"
        case .boolean: "Edm.Boolean"
        case .number: "Edm.Decimal"
        case .string: "Edm.String"
        case .guid: "Edm.Guid"
        case .dateTime: "Edm.DateTimeOffset"
        }
    }

    func isCompatible(with type: AttributeType) -> Bool {
        switch (self, type) {
        case (.null, _): true
        case (.boolean, .boolean): true
        case (.number, .integer), (.number, .decimal), (.number, .money): true
        case (.string, .string), (.string, .memo): true
        case (.guid, .guid), (.guid, .lookup): true
        case (.dateTime, .dateTime): true
        default: false
        }
    }

    /// Orders a stored value against a literal; nil when they cannot be compared.
    static func compare(_ value: JSONValue, _ literal: FilterLiteral, type: AttributeType?) -> ComparisonResult? {
        switch literal {
        case .null: return nil
        case .boolean(let expected):
            guard let actual = value.boolValue else { return nil }
            return actual == expected ? .orderedSame : .orderedAscending
        case .number(let text):
            // Whole numbers (state codes, counts, version numbers) are compared as integers; Decimal parses the rest.
            if let actual = value.numberText.flatMap({ Int($0) }), let expected = Int(text) {
                return actual == expected ? .orderedSame : (actual < expected ? .orderedAscending : .orderedDescending)
            }
            guard let actual = value.numberText.flatMap({ Decimal(string: $0) }), let expected = Decimal(string: text)
            else { return nil }
            return actual == expected ? .orderedSame : (actual < expected ? .orderedAscending : .orderedDescending)
        case .string(let expected):
            guard let actual = value.stringValue else { return nil }
            return actual.lowercased().compare(expected.lowercased())
        case .guid(let expected):
            guard let actual = value.stringValue else { return nil }
            return actual.lowercased() == expected.lowercased() ? .orderedSame : .orderedAscending
        case .dateTime(let expected):
            guard let actual = value.stringValue else { return nil }
            return normalizedDate(actual).compare(normalizedDate(expected))
        }
    }

    /// Dates are stored as `yyyy-MM-ddTHH:mm:ssZ`; a date-only literal means midnight UTC.
    private static func normalizedDate(_ text: String) -> String {
        text.count == 10 ? text + "T00:00:00Z" : text
    }
}
