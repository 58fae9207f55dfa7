/// Where the Dataverse client gets the bearer token it sends.
public protocol AccessTokenSource: Sendable {
    /// A token valid now. Blocking: it may ask the identity platform for a new one.
    func token() throws(DataverseError) -> String
    /// Forgets `token` after Dataverse refused it (401), so that the next call gets a new one.
    func invalidate(_ token: String)
}

/// A fixed token from the configuration (`dataverse.token`), for tests and simple setups.
public struct StaticAccessToken: AccessTokenSource {
    private let value: String

    /// Creates the source.
    public init(_ value: String) { self.value = value }

    public func token() throws(DataverseError) -> String { value }

    public func invalidate(_ token: String) {}
}
