/// A place in a mapping file: its path, the line and column (from 1), and the key path to the value, such as
/// `outbound.create.body`.
public struct MappingLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file, or the built-in profile's name.
    public var file: String
    /// The line, from 1.
    public var line: Int
    /// The column, from 1.
    public var column: Int
    /// The keys leading to the value.
    public var keyPath: String

    /// Creates a location.
    public init(file: String, line: Int, column: Int, keyPath: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
    }

    /// The place of a line and column of a text written at this location: a block scalar (`|`) starts on the next line.
    func within(line templateLine: Int, column templateColumn: Int) -> MappingLocation {
        var place = self
        place.line = line + templateLine - 1
        place.column = templateLine == 1 ? column + templateColumn - 1 : templateColumn
        return place
    }

    public var description: String { "\(file):\(line):\(column): \(keyPath)" }
}
