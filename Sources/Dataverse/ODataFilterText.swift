/// Checks an OData `$filter` fragment written in sopd's configuration (`intake.filter`) before it is ever sent: its
/// quotes closed, its parentheses balanced (so that it cannot break out of the `and (…)` it is put in), and no character
/// outside a quoted string that a query's syntax does not use (`&`, `$`, `#`, `;`, `"`…, which would change the URL
/// rather than the filter). Whether Dataverse knows its columns is checked by Dataverse itself (`sopd doctor`, the
/// first read). Pure: no IO.
public enum ODataFilterText {
    /// The longest fragment accepted.
    public static let maximumLength = 2000

    /// What is wrong with `text`, or nil when it may be sent.
    public static func problem(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return "it is empty" }
        guard trimmed.count <= maximumLength else { return "it is longer than \(maximumLength) characters" }
        var depth = 0
        var inString = false
        var characters = Array(trimmed)[...]
        while let character = characters.popFirst() {
            if inString {
                if character == "'" {
                    if characters.first == "'" { characters.removeFirst() } else { inString = false }
                }
                continue
            }
            switch character {
            case "'": inString = true
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth < 0 { return "a ')' closes no '('" }
            case _ where character.isLetter || character.isNumber || " _./:,+-".contains(character): continue
            default: return "the character '\(character)' cannot appear outside a quoted string"
            }
        }
        if inString { return "a quoted string is not closed (write a quote inside one as '')" }
        if depth > 0 { return "\(depth) '(' not closed" }
        return nil
    }
}
