import Foundation
import JSON

/// Where each polled list of a mapping was read up to, kept as the inbound feed's one cursor (JSON text): per list,
/// the largest cursor value read and the records read at exactly that value (a list is read from that value again,
/// `ge`, so that records changed within one tick are never passed over; the ones read already are left out), and
/// the sequence of the last event made, so that events keep their order across lists and reads.
struct PollPositions: Equatable {
    /// One list's position.
    struct Position: Equatable {
        /// The largest cursor value read.
        var at: String
        /// The keys of the records read at `at`.
        var seen: Set<String>
    }

    var lists: [String: Position]
    /// The sequence of the last event made.
    var sequence: Int

    /// Reads a cursor; an empty one (a journal that never read the feed) starts every list at its `start`.
    /// - Throws: `BackOfficeError.Code.invalidResponse` when the journaled cursor is not one of these.
    init(cursor: String) throws(BackOfficeError) {
        guard !cursor.isEmpty else {
            self.init(lists: [:], sequence: 0)
            return
        }
        guard let json = try? JSONParser.parse(cursor), let sequence = json["sequence"]?.intValue, let lists = json["lists"]?.objectValue else {
            throw BackOfficeError(
                code: .invalidResponse,
                message: "the journaled cursor of the back office's changes is not an http-mapping cursor (was backoffice.adapter changed?); reset it with sopd journal resync")
        }
        var positions: [String: Position] = [:]
        for (name, value) in lists {
            guard let at = value["at"]?.stringValue else { continue }
            positions[name] = Position(at: at, seen: Set((value["seen"]?.arrayValue ?? []).compactMap(\.stringValue)))
        }
        self.init(lists: positions, sequence: sequence)
    }

    private init(lists: [String: Position], sequence: Int) {
        self.lists = lists
        self.sequence = sequence
    }

    /// The cursor text.
    var cursor: String {
        let members = lists.mapValues { position -> JSONValue in
            ["at": .string(position.at), "seen": .array(position.seen.sorted().map(JSONValue.string))]
        }
        return JSONValue.object(["sequence": .int(sequence), "lists": .object(members)]).jsonText
    }

    /// Orders two cursor values: as numbers when both are, as times when both are ISO 8601 (fractions of seconds
    /// vary in length), else as text.
    static func precedes(_ left: String, _ right: String) -> Bool {
        if let a = Double(left), let b = Double(right) { return a < b }
        if let a = date(left), let b = date(right) { return a < b }
        return left < right
    }

    private static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}
