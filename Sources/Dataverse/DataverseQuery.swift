/// The OData query options of a Web API read, written into a query string.
public struct DataverseQuery: Sendable, Hashable {
    /// One `$expand` item with its nested options.
    public struct Expand: Sendable, Hashable {
        /// The navigation property, such as `order_details`.
        public var navigation: String
        /// `$select` inside the expansion.
        public var select: [String]
        /// `$orderby` inside the expansion. Dataverse refuses it (`0x80060888`) when the query nests `$expand`
        /// anywhere, and inside the expansion of a single-valued navigation property.
        public var orderBy: String?
        /// Nested expansions.
        public var expand: [Expand]

        /// Creates an expansion.
        public init(_ navigation: String, select: [String], orderBy: String? = nil, expand: [Expand] = []) {
            self.navigation = navigation
            self.select = select
            self.orderBy = orderBy
            self.expand = expand
        }

        var text: String {
            var options = ["$select=" + select.joined(separator: ",")]
            if let orderBy { options.append("$orderby=" + orderBy) }
            if !expand.isEmpty { options.append("$expand=" + expand.map(\.text).joined(separator: ",")) }
            return "\(navigation)(\(options.joined(separator: ";")))"
        }
    }

    /// `$select`.
    public var select: [String]
    /// `$filter`.
    public var filter: String?
    /// `$expand`.
    public var expand: [Expand]
    /// `$orderby`.
    public var orderBy: String?
    /// `$top`.
    public var top: Int?

    /// Creates a query.
    public init(
        select: [String] = [], filter: String? = nil, expand: [Expand] = [], orderBy: String? = nil, top: Int? = nil
    ) {
        self.select = select
        self.filter = filter
        self.expand = expand
        self.orderBy = orderBy
        self.top = top
    }

    /// The percent-encoded query string, without the leading `?`.
    public var queryString: String {
        var items: [(String, String)] = []
        if !select.isEmpty { items.append(("$select", select.joined(separator: ","))) }
        if let filter { items.append(("$filter", filter)) }
        if !expand.isEmpty { items.append(("$expand", expand.map(\.text).joined(separator: ","))) }
        if let orderBy { items.append(("$orderby", orderBy)) }
        if let top { items.append(("$top", String(top))) }
        return items.map { "\($0.0)=\(Self.percentEncoded($0.1))" }.joined(separator: "&")
    }

    /// A `$filter` matching the rows whose `column` is one of `ids` (`column eq a or column eq b …`), for reading
    /// rows by key in one request.
    public static func anyOf(_ column: String, _ ids: some Sequence<String>) -> String {
        ids.map { "\(column) eq \($0)" }.joined(separator: " or ")
    }

    /// Encodes a query value: everything but unreserved characters and the OData punctuation safe in a query.
    static func percentEncoded(_ value: String) -> String {
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            case _ where "-._~,()'=:$;@/*!".utf8.contains(byte):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
