import Foundation

/// Dynamics 365 Sales' auto-numbering of quotes, orders and invoices: a row created without its
/// number gets `<prefix>-<number>-<suffix>`, such as `ORD-01001-K7QM2D`. The prefixes and the first
/// number are Dynamics' defaults (Settings > Administration > Auto-numbering). Dynamics draws the
/// suffix at random; the emulator derives it from the row's id, so a run is repeatable
/// (docs/dataverse-choices.md).
enum AutoNumbering {
    /// The numbered column and the prefix of each numbered table.
    static let columns: [String: (column: String, prefix: String)] = [
        "quote": ("quotenumber", "QUO"), "salesorder": ("ordernumber", "ORD"), "invoice": ("invoicenumber", "INV"),
    ]
    /// The number the first row of each table gets.
    static let firstNumber = 1_001
    /// How many characters the suffix has (Dynamics' default suffix length).
    static let suffixLength = 6

    private static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    /// The number of the `sequence`th row (0 for the first) of a table with `prefix`, whose id is `id`.
    static func number(prefix: String, sequence: Int, id: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.lowercased().utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        var suffix = ""
        for _ in 0..<suffixLength {
            suffix.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        let digits = String(firstNumber + sequence)
        return "\(prefix)-\(String(repeating: "0", count: max(0, 5 - digits.count)))\(digits)-\(suffix)"
    }
}
