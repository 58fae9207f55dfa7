/// The Web API type of a column, enough to check written values and compare them in `$filter`.
public enum AttributeType: Sendable, Equatable {
    case guid
    case string
    case memo
    case integer
    case decimal
    case money
    case boolean
    case dateTime
    /// A lookup stored as `_<name>_value`, pointing at one of the given tables.
    case lookup(targets: [String])

    /// The Edm type name used in error messages.
    var edmName: String {
        switch self {
        case .guid, .lookup: "Edm.Guid"
        case .string, .memo: "Edm.String"
        case .integer: "Edm.Int32"
        case .decimal, .money: "Edm.Decimal"
        case .boolean: "Edm.Boolean"
        case .dateTime: "Edm.DateTimeOffset"
        }
    }
}
