import Dataverse

/// The `@odata.nextLink`s of one read, followed at most `maxPages` pages and never twice: a peer
/// whose links loop back, or that never ends, cannot hold a cycle for ever. Pure: no IO.
struct PageLinks {
    /// The most pages of one read.
    let maxPages: Int
    private var pages = 1
    private var seen: Set<String> = []
    /// Whether the read stopped at `maxPages` with a next link left.
    private(set) var stoppedShort = false

    init(maxPages: Int) { self.maxPages = maxPages }

    /// The link to read next, or nil when the read is complete (no link) or has read `maxPages` pages
    /// (the rest waits for the next cycle).
    /// - Throws: `DataverseError.Code.invalidResponse` when `link` was already followed in this read.
    mutating func follow(_ link: String?) throws(DataverseError) -> String? {
        guard let link else { return nil }
        guard pages < maxPages else {
            stoppedShort = true
            return nil
        }
        guard seen.insert(link).inserted else {
            throw DataverseError(
                code: .invalidResponse,
                message: "the @odata.nextLink of page \(pages) points at a page already read in this cycle; the read stops here")
        }
        pages += 1
        return link
    }
}
