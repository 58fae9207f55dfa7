/// A mapping file that cannot be used, with the place of the mistake: `sopd` refuses to start (exit 78) and names it.
public struct MappingError: Error, Sendable, CustomStringConvertible {
    /// Where the mistake is.
    public var location: MappingLocation
    /// What is wrong and what to write instead.
    public var message: String

    /// Creates an error.
    public init(at location: MappingLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}
