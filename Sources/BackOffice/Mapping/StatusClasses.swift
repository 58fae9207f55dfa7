/// What the statuses of a back office's answers to a create mean (`outbound.answers` of a mapping): accepted (the
/// order is there), refused (the order goes back to the salesperson with the reason), or retryable (sent again
/// later). A status in none of the lists is refused when 4xx and retryable otherwise; 401 and 403 always mean the
/// credentials were refused.
public struct StatusClasses: Sendable, Equatable {
    /// What a status means.
    public enum Meaning: Sendable, Equatable {
        case accepted
        case refused
        case retryable
    }

    /// The statuses that mean the order was accepted.
    public var accepted: [ClosedRange<Int>]
    /// The statuses that mean the order was refused for good.
    public var refused: [ClosedRange<Int>]
    /// The statuses that mean: try again later.
    public var retryable: [ClosedRange<Int>]

    /// Creates the classes; the defaults are 2xx accepted, 408, 429 and 5xx retryable, other 4xx refused.
    public init(
        accepted: [ClosedRange<Int>] = [200...299], refused: [ClosedRange<Int>] = [400...499],
        retryable: [ClosedRange<Int>] = [408...408, 429...429, 500...599]
    ) {
        self.accepted = accepted
        self.refused = refused
        self.retryable = retryable
    }

    /// What `status` means; retryable wins over refused where the lists overlap (408 and 429 are 4xx).
    public func meaning(of status: Int) -> Meaning {
        if accepted.contains(where: { $0.contains(status) }) { return .accepted }
        if retryable.contains(where: { $0.contains(status) }) { return .retryable }
        if refused.contains(where: { $0.contains(status) }) { return .refused }
        return (400...499).contains(status) ? .refused : .retryable
    }

    /// Reads a list such as `[200, 201, 400-499]`: statuses and ranges of statuses from 100 to 599.
    static func ranges(_ reader: MappingReader) throws(MappingError) -> [ClosedRange<Int>] {
        var ranges: [ClosedRange<Int>] = []
        for item in try reader.items() {
            let text = try item.text()
            let bounds = text.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let low = bounds.first ?? nil, let high = bounds.last ?? nil, 100 <= low, low <= high, high <= 599 else {
                throw item.error("'\(text)' is not an HTTP status or a range of them (such as 201 or 500-599)")
            }
            ranges.append(low...high)
        }
        return ranges
    }
}
