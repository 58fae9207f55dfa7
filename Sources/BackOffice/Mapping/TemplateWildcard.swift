import Mustache

/// A context that answers every name, as a one-element list, an object and a string at once: rendering a template
/// with it walks every section once and fills every value, so that the text's syntax can be checked when the mapping
/// is loaded, before any order exists (a JSON body with a missing comma is found at start, not at the first order).
struct TemplateWildcard: MustacheParent, MustacheSequence, MustacheCustomRenderable, MustacheTransformable {
    let flavor: TemplateFlavor
    var raw = false

    func child(named name: String) -> Any? { TemplateWildcard(flavor: flavor) }
    func makeIterator() -> IndexingIterator<[TemplateWildcard]> { [TemplateWildcard(flavor: flavor)].makeIterator() }
    var renderText: String { raw ? "x" : flavor.render(.string("x")) }
    var isNull: Bool { false }
    func transform(_ name: String) -> Any? { TemplateWildcard(flavor: flavor, raw: raw || name == "raw") }
}
