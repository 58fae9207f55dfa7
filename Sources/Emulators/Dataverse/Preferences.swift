import Foundation

/// The `Prefer` header preferences the emulator honours.
struct Preferences {
    var maxPageSize: Int?
    var returnRepresentation = false
    var continueOnError = false
    var trackChanges = false
    var formattedValues = false

    init(_ header: String?) {
        for item in (header ?? "").split(separator: ",") {
            let preference = item.trimmingCharacters(in: .whitespaces)
            if preference == "return=representation" { returnRepresentation = true }
            if preference == "odata.continue-on-error" { continueOnError = true }
            if preference == "odata.track-changes" { trackChanges = true }
            if preference.hasPrefix("odata.include-annotations="),
                preference.contains("*") || preference.contains("OData.Community.Display.V1.FormattedValue")
            {
                formattedValues = true
            }
            if preference.hasPrefix("odata.maxpagesize=") {
                maxPageSize = Int(preference.dropFirst("odata.maxpagesize=".count)).map { max(1, $0) }
            }
        }
    }
}
