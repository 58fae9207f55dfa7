import Foundation

/// How the ERP emulators (Fabrikam ERP, Business Central) stamp and read their modification times: UTC, to the
/// millisecond, the fraction of a second as long as it needs to be, as Business Central writes `lastModifiedDateTime`.
enum ERPTime {
    /// `date` as the ERPs write it.
    static func stamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The time an ISO 8601 text gives, with or without a fraction of a second.
    static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? (try? Date(text, strategy: .iso8601))
    }
}
