import Dataverse
import JSON
import Logging
import PeerText

/// Reads to the end the lines Dataverse pages inside each order of a read (`order_details@odata.nextLink`,
/// see `SubmittedOrdersQuery`), so that no order goes out with some of its lines. An order whose lines fit
/// in one page costs no request.
struct OrderLinePages {
    let dataverse: DataverseClient
    /// Rows per page (`Prefer: odata.maxpagesize`), as in the read the orders came from.
    let pageSize: Int
    /// The most pages of one order's lines.
    let maxPages: Int
    let logger: Logger

    private static let link = SubmittedOrdersQuery.lines + "@odata.nextLink"

    /// `rows` with each order's lines read to the end and their link removed. An order whose link cannot
    /// be followed (it leaves the organization, points back at a page already read, or runs past `maxPages`
    /// pages) keeps the link, and `OrderDocumentMapper` refuses that order: it is never sent with lines missing.
    /// - Throws: What reading a page throws when Dataverse is unavailable or refuses the read: the cycle's
    ///   read fails as a whole and is tried again.
    func complete(_ rows: [JSONValue]) throws(DataverseError) -> [JSONValue] {
        var completed: [JSONValue] = []
        completed.reserveCapacity(rows.count)
        for row in rows { completed.append(try complete(row)) }
        return completed
    }

    private func complete(_ row: JSONValue) throws(DataverseError) -> JSONValue {
        guard var members = row.objectValue, let first = members[Self.link]?.stringValue else { return row }
        var lines = members[SubmittedOrdersQuery.lines]?.arrayValue ?? []
        var links = PageLinks(maxPages: maxPages)
        var next: String? = first
        var problem: String?
        do throws(DataverseError) {
            while let url = try links.follow(next) {
                let page = try dataverse.nextPage(url, pageSize: pageSize)
                lines += page.rows
                next = page.nextLink
            }
            if links.stoppedShort { problem = "its lines take more than \(maxPages) pages (dataverse.maxPagesPerCycle)" }
        } catch where error.code == .invalidResponse {
            problem = error.message
        }
        members[SubmittedOrdersQuery.lines] = .array(lines)
        if let problem {
            logger.warning(
                "cannot read all the lines of an order; it is not sent",
                metadata: [
                    "dir": "out", "order": "\(PeerText.clean(members["ordernumber"]?.stringValue ?? "?", limit: 60))",
                    "error": "\(problem)",
                ])
        } else {
            members[Self.link] = nil
        }
        return .object(members)
    }
}
