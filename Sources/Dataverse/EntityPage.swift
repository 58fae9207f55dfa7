import JSON

/// One page of a collection read.
public struct EntityPage: Sendable {
    /// The rows of this page, each with its `@odata.etag`.
    public var rows: [JSONValue]
    /// The link to the next page, to be followed unchanged; nil on the last page.
    public var nextLink: String?
    /// The change-tracking link to follow next time, on the last page of a tracked read.
    public var deltaLink: String?
    /// How many rows match in all, when the query asked for `$count` (Dataverse counts up to 5000).
    public var count: Int?
}
