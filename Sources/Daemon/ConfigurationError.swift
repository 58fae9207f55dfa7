/// A configuration value that is missing or wrong. sopd exits 78 (EX_CONFIG) with this message.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The key, such as `dataverse.url`.
    public var key: String
    /// What is wrong with it.
    public var problem: String
    /// How to fix it.
    public var fix: String

    /// Creates an error.
    public init(key: String, problem: String, fix: String) {
        self.key = key
        self.problem = problem
        self.fix = fix
    }

    public var description: String { "configuration error: \(key): \(problem). \(fix)" }
}
