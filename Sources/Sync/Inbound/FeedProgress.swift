import BackOffice

/// Whether the back office's change feed moves forward during one read, and when the read has taken
/// enough for one cycle. Pure: no IO. A feed whose cursor stands still while it hands out events, or
/// moves backwards, or whose event sequences go backwards, stops the read with a clear reason; a
/// feed that always has more is read up to `maxEvents` events per cycle, the rest in the next.
struct FeedProgress {
    /// The most events read in one cycle.
    let maxEvents: Int
    /// The cursor the next page is read after.
    private(set) var cursor: String
    /// Events read so far in this read.
    private(set) var eventsRead = 0
    private var lastSequence: Int?

    init(cursor: String, maxEvents: Int) {
        self.cursor = cursor
        self.maxEvents = maxEvents
    }

    /// Checks `page`, read after `cursor`, before it is journaled.
    /// - Throws: `BackOfficeError.Code.invalidResponse` naming what went wrong.
    mutating func accept(_ page: ChangePage) throws(BackOfficeError) {
        if !page.events.isEmpty, page.next == cursor {
            throw Self.stop("the feed returned \(page.events.count) events after cursor \(cursor) but its next cursor did not move")
        }
        if let before = Int(cursor), let after = Int(page.next), after < before {
            throw Self.stop("the feed's cursor moved backwards, from \(before) to \(after)")
        }
        for event in page.events {
            if let lastSequence, event.sequence <= lastSequence {
                throw Self.stop("event \(event.id) has sequence \(event.sequence), not after \(lastSequence)")
            }
            lastSequence = event.sequence
        }
        eventsRead += page.events.count
    }

    /// Moves on after `page` was journaled; false when the read is over: the feed had nothing more,
    /// or this cycle has read `maxEvents` events.
    mutating func advance(past page: ChangePage) -> Bool {
        defer { cursor = page.next }
        return !page.events.isEmpty && page.next != cursor && eventsRead < maxEvents
    }

    private static func stop(_ reason: String) -> BackOfficeError {
        BackOfficeError(code: .invalidResponse, message: "\(reason); the read stops here and the cursor stays, until the back office's feed is fixed")
    }
}
