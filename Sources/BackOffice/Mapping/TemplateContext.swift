import JSON
import Mustache

/// A JSON document as a Mustache context: objects answer their members, arrays are sections with `first()`,
/// `last()` and `index()`, and every value renders as its `TemplateFlavor` writes it.
///
/// Transforms: `raw(x)` (the value without its flavor's quoting), `odata(x)` (a string with its single quotes
/// doubled, for an OData string literal), `date(x)` (the date of a time, `2026-12-15` of `2026-12-15T00:00:00Z`),
/// `upper(x)` and `lower(x)`.
enum TemplateContext {
    /// The context of `value` rendered as `flavor`.
    static func node(_ value: JSONValue, _ flavor: TemplateFlavor) -> Any {
        switch value {
        case .object: TemplateObject(value: value, flavor: flavor)
        case .array(let elements): TemplateList(elements: elements, flavor: flavor)
        case .bool(let flag): flag
        default: TemplateScalar(value: value, flavor: flavor, raw: false)
        }
    }
}

/// An object: its members by name.
struct TemplateObject: MustacheParent, MustacheCustomRenderable, MustacheTransformable {
    let value: JSONValue
    let flavor: TemplateFlavor

    func child(named name: String) -> Any? { value[name].map { TemplateContext.node($0, flavor) } }
    var renderText: String { flavor.render(value) }
    var isNull: Bool { false }
    func transform(_ name: String) -> Any? { name == "raw" ? TemplateScalar(value: value, flavor: flavor, raw: true) : nil }
}

/// An array: a section renders once per element. It has no members (nor does a scalar): a name is never looked up
/// by reflection on these types.
struct TemplateList: MustacheSequence, MustacheParent, MustacheCustomRenderable, MustacheTransformable {
    let elements: [JSONValue]
    let flavor: TemplateFlavor

    func child(named name: String) -> Any? { nil }
    func makeIterator() -> AnyIterator<Any> {
        var iterator = elements.makeIterator()
        return AnyIterator { iterator.next().map { TemplateContext.node($0, flavor) } }
    }
    var renderText: String { flavor.render(.array(elements)) }
    var isNull: Bool { false }
    func transform(_ name: String) -> Any? {
        switch name {
        case "count": TemplateScalar(value: .int(elements.count), flavor: flavor, raw: false)
        case "empty": elements.isEmpty
        case "raw": TemplateScalar(value: .array(elements), flavor: flavor, raw: true)
        default: nil
        }
    }
}

/// A string, a number or null. A member of null is null: `{{customer.name}}` of an order without customer writes
/// `null` in a JSON body.
struct TemplateScalar: MustacheParent, MustacheCustomRenderable, MustacheTransformable {
    let value: JSONValue
    let flavor: TemplateFlavor
    /// Written without its flavor's quoting (`raw(x)`).
    let raw: Bool

    func child(named name: String) -> Any? { value.isNull ? self : nil }
    var renderText: String { raw ? flavor.renderRaw(value) : flavor.render(value) }
    var isNull: Bool { value.isNull }
    func transform(_ name: String) -> Any? {
        switch (name, value) {
        case ("raw", _): TemplateScalar(value: value, flavor: flavor, raw: true)
        case ("odata", .string(let text)): TemplateScalar(value: .string(text.replacingOccurrences(of: "'", with: "''")), flavor: flavor, raw: raw)
        case ("upper", .string(let text)): TemplateScalar(value: .string(text.uppercased()), flavor: flavor, raw: raw)
        case ("lower", .string(let text)): TemplateScalar(value: .string(text.lowercased()), flavor: flavor, raw: raw)
        case ("empty", .string(let text)): text.isEmpty
        case ("date", .string(let text)) where text.count >= 10:
            TemplateScalar(value: .string(String(text.prefix(10))), flavor: flavor, raw: raw)
        default: nil
        }
    }
}
