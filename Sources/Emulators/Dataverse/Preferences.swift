import Foundation

/// The `Prefer` header preferences the emulator honours.
struct Preferences {
    var maxPageSize: Int?
    var returnRepresentation = false
    var continueOnError = false
    var trackChanges = false
    var formattedValues = false
    /// `odata.include-annotations` asked for FetchXML's paging annotations (`Microsoft.Dynamics.CRM.morerecords`,
    /// `…fetchxmlpagingcookie`), or for all.
    var pagingAnnotations = false

    init(_ header: String?) {
        let text = header ?? ""
        pagingAnnotations =
            text.contains("Microsoft.Dynamics.CRM.fetchxmlpagingcookie") || text.contains("Microsoft.Dynamics.CRM.morerecords")
            || text.contains("odata.include-annotations=\"*\"")
        for item in text.split(separator: ",") {
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
