/// What the server answered: any status, including 4xx and 5xx, is a response, not an error.
public struct HTTPResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The header fields of the final response (those of interim responses are dropped).
    public var headers: HTTPHeaders
    /// The response body.
    public var body: [UInt8]
    /// The time the whole transfer took, in seconds.
    public var duration: Double
    /// How many new connections this transfer opened (0 when it reused one).
    public var newConnections: Int

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders, body: [UInt8], duration: Double = 0, newConnections: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.duration = duration
        self.newConnections = newConnections
    }

    /// The body decoded as UTF-8, with invalid bytes replaced.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}
