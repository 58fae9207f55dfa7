import Foundation

/// Durations as ops write and read them: `90s`, `15m`, `1h`, `2d`; and `3m12s`-style ages.
public enum DurationText {
    /// Seconds in `text` (`90s`, `15m`, `1h`, `2d`; a bare number is seconds), or nil.
    public static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let last = text.last else { return nil }
        if let unit = units[last], let value = Double(text.dropLast()), value >= 0 { return value * unit }
        return Double(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// An age such as `45s`, `3m12s`, `2h05m`, `3d04h`.
    public static func age(_ seconds: Double) -> String {
        let total = Int(max(0, seconds))
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return "\(total / 60)m\(String(format: "%02d", total % 60))s"
        case ..<86_400: return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
        default: return "\(total / 86_400)d\(String(format: "%02d", total % 86_400 / 3600))h"
        }
    }
}
