/// RFC 3339 date-times (section 5.6), the `date-time` format of JSON Schema and of contract v1.
enum RFC3339 {
    /// Whether `text` is an RFC 3339 date-time such as `2026-11-21T09:01:00Z` or `2026-11-21t10:01:00.25+01:00`:
    /// a real calendar day, hours 00–23, minutes 00–59, seconds 00–59 or a leap second (`60` where the time in
    /// UTC is 23:59), an optional fraction, and `Z` or an offset of at most 23:59.
    static func isDateTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is characters: String) -> Bool {
            index < bytes.count && characters.utf8.contains(bytes[index])
        }
        guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"),
            let day = number(8, 2), byte(10, is: "Tt"), let hour = number(11, 2), byte(13, is: ":"),
            let minute = number(14, 2), byte(16, is: ":"), let second = number(17, 2)
        else { return false }
        var index = 19
        if byte(index, is: ".") {
            index += 1
            let start = index
            while number(index, 1) != nil { index += 1 }
            guard index > start else { return false }
        }
        var offsetMinutes = 0
        if byte(index, is: "Zz") {
            index += 1
        } else if byte(index, is: "+-"), let offsetHour = number(index + 1, 2), byte(index + 3, is: ":"),
            let offsetMinute = number(index + 4, 2), offsetHour <= 23, offsetMinute <= 59
        {
            offsetMinutes = (offsetHour * 60 + offsetMinute) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        } else {
            return false
        }
        guard index == bytes.count, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour <= 23, minute <= 59, second <= 60
        else { return false }
        let minuteOfDayInUTC = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
        return second < 60 || minuteOfDayInUTC == 23 * 60 + 59
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
