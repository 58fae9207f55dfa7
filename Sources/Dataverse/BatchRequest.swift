import HTTP
import JSON

/// One request inside a `$batch`.
public struct BatchRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The path under the Web API root, such as `salesorders(<id>)`.
    public var path: String
    /// The body, if any.
    public var body: JSONValue?
    /// More headers, such as `If-Match`.
    public var headers: HTTPHeaders

    /// Creates a request.
    public init(method: HTTPMethod, path: String, body: JSONValue? = nil, headers: HTTPHeaders = [:]) {
        self.method = method
        self.path = path
        self.body = body
        self.headers = headers
    }
}
