import Foundation
import PeerText
import Yams

/// Reads one YAML mapping of a mapping file, key by key, with the place of each value: every mistake becomes a
/// `MappingError` that names the file, line, column and key path, and says what to write instead.
struct MappingReader {
    let file: String
    let keyPath: String
    let node: Node
    private let lines: [Substring]

    /// The reader of the document `text`, read from `file`.
    /// - Throws: `MappingError` when the text is not YAML, or not a mapping of keys.
    init(text: String, file: String) throws(MappingError) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw MappingError(at: Self.location(of: error, file: file), "the file is not valid YAML: \(Self.reason(error))")
        } catch {
            throw MappingError(at: MappingLocation(file: file, line: 1, column: 1, keyPath: "(file)"), "the file is not valid YAML: \(error)")
        }
        guard let node, node.mapping != nil else {
            throw MappingError(
                at: MappingLocation(file: file, line: 1, column: 1, keyPath: "(file)"),
                "the file is not a YAML mapping with outbound: and inbound: sections; docs/adapters.md has a complete example")
        }
        self.init(file: file, keyPath: "", node: node, lines: text.split(separator: "\n", omittingEmptySubsequences: false))
    }

    private init(file: String, keyPath: String, node: Node, lines: [Substring]) {
        self.file = file
        self.keyPath = keyPath
        self.node = node
        self.lines = lines
    }

    /// Where this node is.
    var location: MappingLocation { location(of: node, keyPath: keyPath) }

    private func location(of node: Node, keyPath: String) -> MappingLocation {
        let mark = node.mark
        var place = MappingLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, keyPath: keyPath.isEmpty ? "(file)" : keyPath)
        // A block scalar (`|`, `>`) starts on the line after its indicator, at its indentation.
        if let style = node.scalar?.style, style == .literal || style == .folded, place.line < lines.count {
            place.line += 1
            place.column = lines[place.line - 1].prefix(while: { $0 == " " }).count + 1
        }
        return place
    }

    /// An error at this node.
    func error(_ message: String) -> MappingError { MappingError(at: location, message) }

    /// Refuses keys other than `known`, suggesting the nearest one.
    func allowOnly(_ known: [String]) throws(MappingError) {
        for key in node.mapping?.keys ?? Node.Mapping([]).keys {
            let name = key.string ?? "?"
            guard !known.contains(name) else { continue }
            let suggestion = Spelling.nearest(name, among: known).map { " Did you mean \($0)?" } ?? ""
            throw MappingError(
                at: location(of: key, keyPath: path(name)),
                "unknown key '\(name)'.\(suggestion) Known here: \(known.joined(separator: ", ")).")
        }
    }

    private func path(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }

    /// The reader of member `key`, or nil when it is absent.
    func optional(_ key: String) -> MappingReader? {
        guard let value = node.mapping?[key], value.null == nil else { return nil }
        return MappingReader(file: file, keyPath: path(key), node: value, lines: lines)
    }

    /// The reader of member `key`.
    /// - Throws: `MappingError` when it is absent, with `hint` on what to write.
    func required(_ key: String, hint: String) throws(MappingError) -> MappingReader {
        guard let member = optional(key) else { throw error("'\(path(key))' is missing: \(hint)") }
        return member
    }

    /// The readers of the members of a mapping, in file order.
    func members() throws(MappingError) -> [(key: String, reader: MappingReader)] {
        guard let mapping = node.mapping else { throw error("expected a mapping of keys and values here") }
        return mapping.map { (key, value) in
            let name = key.string ?? "?"
            return (name, MappingReader(file: file, keyPath: path(name), node: value, lines: lines))
        }
    }

    /// The readers of the items of a sequence.
    func items() throws(MappingError) -> [MappingReader] {
        guard let sequence = node.sequence else { throw error("expected a list here (items starting with '- ')") }
        return sequence.enumerated().map { index, item in
            MappingReader(file: file, keyPath: "\(keyPath)[\(index)]", node: item, lines: lines)
        }
    }

    /// The text of a scalar.
    func text() throws(MappingError) -> String {
        guard let scalar = node.scalar else { throw error("expected a single value here, not a list or a mapping") }
        return scalar.string
    }

    /// A JSON Pointer.
    func pointer() throws(MappingError) -> JSONPointer {
        let text = try text()
        guard let pointer = JSONPointer(text) else {
            throw error("'\(text)' is not a JSON Pointer (RFC 6901): write /items/0/id, with ~1 for a / inside a name and ~0 for a ~")
        }
        return pointer
    }

    /// A template of `flavor`.
    func template(_ flavor: TemplateFlavor) throws(MappingError) -> MappingTemplate {
        try MappingTemplate(try text(), flavor: flavor, at: location)
    }

    /// A number in `range`.
    func number(in range: ClosedRange<Double>) throws(MappingError) -> Double {
        let text = try text()
        guard let value = Double(text), range.contains(value) else {
            throw error("'\(text)' is not a number from \(range.lowerBound.formatted()) to \(range.upperBound.formatted())")
        }
        return value
    }

    /// The place of a YAML syntax error.
    private static func location(of error: YamlError, file: String) -> MappingLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            MappingLocation(file: file, line: mark.line, column: mark.column, keyPath: "(syntax)")
        default:
            MappingLocation(file: file, line: 1, column: 1, keyPath: "(syntax)")
        }
    }

    /// A YAML error's explanation: its first line only.
    private static func reason(_ error: YamlError) -> String {
        PeerText.clean(String("\(error)".split(separator: "\n").first ?? ""), limit: 200)
    }
}
