/// Where the `Authorization` header of a back-office request comes from: fixed credentials, or an OAuth token
/// fetched and renewed (Business Central).
public protocol BackOfficeAuthorizer: Sendable {
    /// The header's value.
    /// - Throws: `BackOfficeError` when no token can be had (the token endpoint refused the client, say).
    func authorization() throws(BackOfficeError) -> String
    /// The back office refused the last value (401): the next `authorization()` fetches a new one, if it can.
    func refused()
}

extension BackOfficeCredentials: BackOfficeAuthorizer {
    public func authorization() throws(BackOfficeError) -> String { headerValue }
    public func refused() {}
}
