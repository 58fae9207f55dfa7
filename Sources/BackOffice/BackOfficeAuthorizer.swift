/// Where the credentials of a back-office request come from: fixed ones (a bearer token, basic, an API key header), or
/// an OAuth token fetched and renewed (Business Central).
public protocol BackOfficeAuthorizer: Sendable {
    /// The header that carries the credentials (`Authorization`, or an API key's own), and its value.
    /// - Throws: `BackOfficeError` when no token can be had (the token endpoint refused the client, say).
    func header() throws(BackOfficeError) -> (name: String, value: String)
    /// The back office refused the last value (401): the next `header()` fetches a new one, if it can.
    func refused()
}

extension BackOfficeCredentials: BackOfficeAuthorizer {
    public func header() throws(BackOfficeError) -> (name: String, value: String) { credentialHeader }
    public func refused() {}
}
