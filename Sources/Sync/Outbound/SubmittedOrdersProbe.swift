import Dataverse

/// The cheap read that tells the daemon whether a full outbound read would find anything new: one request
/// for how many submitted, unsent orders there are (`$count`) and which of them changed last (a page of one row,
/// `Prefer: odata.maxpagesize=1`, by `versionnumber`, the row version every write raises; not `$top`, since
/// Microsoft documents the count as "regardless of the page size requested" and says nothing of `$top`; the next
/// link is not followed). An order submitted or changed since the last probe has a version above every row that
/// probe saw, so it is the newest now. So when the fingerprint of two probes is the same, nothing the outbound read
/// takes changed in between.
public enum SubmittedOrdersProbe {
    /// The query, read in a page of one row: the outbound read's filter under `intake`, newest first, the id and version.
    public static func query(_ intake: IntakeSettings) -> DataverseQuery {
        DataverseQuery(
            select: ["salesorderid", "versionnumber"], filter: SubmittedOrdersQuery.query(intake).filter, orderBy: "versionnumber desc")
    }

    /// What a probe saw, to compare with the next one's: the count and the newest row's id and version.
    public static func fingerprint(of page: EntityPage) -> String {
        let newest = page.rows.first
        return [
            page.count.map(String.init) ?? "?", newest?["salesorderid"]?.stringValue ?? "-",
            newest?["versionnumber"]?.numberText ?? newest?["versionnumber"]?.stringValue ?? "-",
        ].joined(separator: " ")
    }
}
