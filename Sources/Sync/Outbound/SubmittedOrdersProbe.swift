import Dataverse

/// The cheap read that tells the daemon whether a full outbound read would find anything new: one request
/// for how many submitted, unsent orders there are (`$count`) and which of them changed last (`$top=1` by
/// `modifiedon`, then id). An order submitted since the last probe either raises the count or is the newest
/// (its `modifiedon` is at least the time of that probe); one sent since then lowers the count. So when the
/// fingerprint of two probes is the same, nothing the outbound read takes changed in between.
public enum SubmittedOrdersProbe {
    /// The query: the outbound read's filter, the newest row only, its id and time.
    public static let query = DataverseQuery(
        select: ["salesorderid", "modifiedon"], filter: SubmittedOrdersQuery.query.filter,
        orderBy: "modifiedon desc,salesorderid desc", top: 1)

    /// What a probe saw, to compare with the next one's: the count and the newest row's id and time.
    public static func fingerprint(of page: EntityPage) -> String {
        let newest = page.rows.first
        return [
            page.count.map(String.init) ?? "?", newest?["salesorderid"]?.stringValue ?? "-",
            newest?["modifiedon"]?.stringValue ?? "-",
        ].joined(separator: " ")
    }
}
