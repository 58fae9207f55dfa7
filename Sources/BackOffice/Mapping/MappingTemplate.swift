import JSON
import Mustache

/// One Mustache template of a mapping (`hummingbird-project/swift-mustache`), with the flavor its values are written
/// in and where it was written, for errors that point at the mapping file.
public struct MappingTemplate: Sendable {
    /// How values are written into it.
    public let flavor: TemplateFlavor
    /// Where it is in the mapping file.
    public let location: MappingLocation
    private let template: MustacheTemplate

    /// Every template renders in the TEXT content type: the flavor, not HTML escaping, writes its values.
    private static let pragma = "{{%CONTENT_TYPE:TEXT}}"

    /// Compiles `source`.
    /// - Throws: `MappingError` at the line and column of the template's syntax error.
    public init(_ source: String, flavor: TemplateFlavor, at location: MappingLocation) throws(MappingError) {
        self.flavor = flavor
        self.location = location
        do {
            template = try MustacheTemplate(string: Self.pragma + source)
        } catch let error as MustacheTemplate.ParserError {
            let line = error.context.lineNumber
            let column = line == 1 ? error.context.columnNumber - Self.pragma.count : error.context.columnNumber
            throw MappingError(
                at: location.within(line: line, column: column),
                "the template does not parse (\(error.error)) near '\(error.context.line.trimmingCharacters(in: .whitespaces).prefix(60))'")
        } catch {
            throw MappingError(at: location, "the template does not parse: \(error)")
        }
    }

    /// The text the template renders with `context` (an object whose members are the template's names).
    public func render(_ context: JSONValue) -> String {
        template.render(TemplateContext.node(context, flavor))
    }

    /// Checks that a JSON template renders JSON whatever the values (`TemplateWildcard`).
    /// - Throws: `MappingError` at the template when the text it renders is not JSON.
    func checkRendersJSON() throws(MappingError) {
        let text = template.render(TemplateWildcard(flavor: flavor))
        do {
            _ = try JSONParser.parse(text)
        } catch {
            throw MappingError(
                at: location,
                "the template does not render JSON (\(error.message) at byte \(error.offset) of '\(text.prefix(120))'); a value is written as a JSON literal already: write \"number\": {{number}}, not \"number\": \"{{number}}\"")
        }
    }
}
