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

    private static let link = SubmittedOrdersQuery.linesNextLink

    /// `rows` with each order's lines read to the end and their link removed. An order whose link cannot
    /// be followed (it leaves the organization, points back at a page already read, or runs past `maxPages`
    /// pages) keeps the link, and `OrderDocumentMapper` refuses that order: it is never sent with lines missing.
    /// - Throws: What reading a page throws (Dataverse unavailable, the read refused, an answer that is not a
    ///   page): the cycle's read fails as a whole and is tried again, as when the orders' own page fails.
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
        while problem == nil {
            let url: String?
            do throws(DataverseError) {
                url = try links.follow(next)
            } catch {
                problem = error.message
                url = nil
            }
            guard let url else { break }
            guard dataverse.isOrganizationLink(url) else {
                problem = "its \(Self.link) '\(PeerText.clean(url, limit: 120))' does not point into the organization, and sopd sends its token nowhere else"
                break
            }
            let page = try dataverse.nextPage(url, pageSize: pageSize)
            lines += page.rows
            next = page.nextLink
        }
        if problem == nil, links.stoppedShort { problem = "its lines take more than \(maxPages) pages (dataverse.maxPagesPerCycle)" }
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
