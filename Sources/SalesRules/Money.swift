import Foundation

/// Decimal money helpers: amounts are never binary floating point.
public enum Money {
    /// Rounds half away from zero to `precision` decimal places, as currency amounts are rounded.
    public static func round(_ value: Decimal, precision: Int) -> Decimal {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, precision, .plain)
        return result
    }

    /// The amount as a JSON-ready literal with exactly `precision` decimal places, such as `"1234.50"`.
    public static func literal(_ value: Decimal, precision: Int = 2) -> String {
        let rounded = round(value, precision: precision)
        let negative = rounded < 0
        let magnitude = negative ? -rounded : rounded
        var text = NSDecimalNumber(decimal: magnitude).stringValue
        if precision > 0 {
            if let dot = text.firstIndex(of: ".") {
                let decimals = text.distance(from: text.index(after: dot), to: text.endIndex)
                text += String(repeating: "0", count: max(0, precision - decimals))
            } else {
                text += "." + String(repeating: "0", count: precision)
            }
        }
        return negative ? "-" + text : text
    }
}
