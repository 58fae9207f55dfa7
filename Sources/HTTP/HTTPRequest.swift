/// One HTTP request: what `HTTPClient` sends.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The absolute URL, query included and already percent-encoded.
    public var url: String
    /// The header fields to send.
    public var headers: HTTPHeaders
    /// The body to send, if any.
    public var body: [UInt8]?
    /// A total timeout for this request that overrides the client's, in seconds.
    public var timeout: Double?

    /// Creates a request.
    /// - Parameters:
    ///   - method: The request method.
    ///   - url: The absolute, percent-encoded URL.
    ///   - headers: The header fields to send.
    ///   - body: The body to send, if any.
    ///   - timeout: A total timeout that overrides the client's, in seconds.
    public init(
        method: HTTPMethod, url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil, timeout: Double? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}
