import PeerText

/// Plain-text tables for the ops commands: left-aligned columns, two spaces apart. Every cell passes
/// through `PeerText.shown`, so that no journaled text can break a row or fake another.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows.map { $0.map(PeerText.shown) }
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
