/// How a read answers its collection-valued expansions, as "Join tables using the Web API" documents
/// (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables#expand-collection-valued-navigation-properties):
/// - when the query nests `$expand` anywhere, each expanded collection is paged with the request's
///   `odata.maxpagesize`, and a `<property>@odata.nextLink` with a `$skiptoken` reads the rest
///   (`<set>(<id>)/<property>?<its options>&$skiptoken=…`); the emulator writes that link only when rows remain;
/// - otherwise every related row comes back and `<property>@odata.nextLink` names the same
///   collection with the expansion's options and no paging.
struct ExpandedCollections {
    /// The Web API root links start with, such as `https://host/api/data/v9.2`.
    var root: String
    /// Whether the request nests `$expand`.
    var nested: Bool
    /// Rows per page of an expanded collection when `nested`.
    var pageSize: Int

    /// The `<property>@odata.nextLink` of one expanded collection.
    func link(
        entitySet: String, id: String, navigation: String, parameters: [(name: String, value: String)], skipToken: String?
    ) -> String {
        let items = parameters + (skipToken.map { [("$skiptoken", $0)] } ?? [])
        let query = items.isEmpty ? "" : "?" + QueryString.encode(items)
        return "\(root)/\(entitySet)(\(id))/\(navigation)\(query)"
    }
}
