import Foundation
import GRDB

/// The journal's dates as text, in the form GRDB stores them (`yyyy-MM-dd HH:mm:ss.SSS`, UTC), written and read
/// with the C library's calendar: GRDB's own conversion goes through Foundation's `DateFormatter` and `Calendar`,
/// and cost more than the SQL of a transition. Pure.
enum JournalTime {
    /// `date` as the journal stores it; the milliseconds are truncated, as `DateFormatter` does.
    static func text(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds.quotientAndRemainder(dividingBy: 1000).quotient)
        var fraction = Int(milliseconds - Int64(seconds) * 1000)
        if fraction < 0 {
            seconds -= 1
            fraction += 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = [UInt8](repeating: 0, count: 23)
        func put(_ value: Int, at start: Int, width: Int) {
            var rest = value
            for index in stride(from: start + width - 1, through: start, by: -1) {
                text[index] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                rest /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, at: 0, width: 4)
        put(Int(parts.tm_mon) + 1, at: 5, width: 2)
        put(Int(parts.tm_mday), at: 8, width: 2)
        put(Int(parts.tm_hour), at: 11, width: 2)
        put(Int(parts.tm_min), at: 14, width: 2)
        put(Int(parts.tm_sec), at: 17, width: 2)
        put(fraction, at: 20, width: 3)
        (text[4], text[7], text[10], text[13], text[16], text[19]) = (0x2D, 0x2D, 0x20, 0x3A, 0x3A, 0x2E)
        return String(decoding: text, as: UTF8.self)
    }

    /// The date of a stored value: the journal's own form is read here, anything else as GRDB reads it.
    static func date(_ value: DatabaseValue) -> Date? {
        guard case .string(let text) = value.storage else { return Date.fromDatabaseValue(value) }
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            var result = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                result = result * 10 + Int(byte - 0x30)
            }
            return result
        }
        guard bytes.count == 23, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x20, bytes[13] == 0x3A, bytes[16] == 0x3A,
            bytes[19] == 0x2E, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), let milliseconds = number(20, 3)
        else { return Date.fromDatabaseValue(value) }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Date(timeIntervalSince1970: Double(Int64(timegm(&parts)) * 1000 + Int64(milliseconds)) / 1000)
    }

    /// A stored date that may be null.
    static func date(_ row: Row, _ index: Int) -> Date? {
        date(row[index] as DatabaseValue)
    }
}
