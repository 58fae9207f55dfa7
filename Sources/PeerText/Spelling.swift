/// Names a slip of the keyboard was meant to be: "did you mean …" for configuration keys and mapping files.
public enum Spelling {
    /// The known name closest to `name` (by edit distance, ignoring case), if it is close enough to be a slip.
    public static func nearest(_ name: String, among names: [String]) -> String? {
        let target = Array(name.lowercased())
        let scored = names.map { ($0, distance(target, Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(3, target.count / 3) else { return nil }
        return best.0
    }

    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var previous = row[0]
            row[0] = i + 1
            for (j, y) in b.enumerated() {
                let current = row[j + 1]
                row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (x == y ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
