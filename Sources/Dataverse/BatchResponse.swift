import HTTP
import JSON

/// The answer to one request of a `$batch`, in the order the requests were sent.
public struct BatchResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// The headers.
    public var headers: HTTPHeaders
    /// The body, parsed, or nil when empty or not JSON.
    public var body: JSONValue?

    /// The typed error of a failed answer, or nil for a 2xx.
    public var error: DataverseError? {
        guard !(200..<300).contains(status) else { return nil }
        return DataverseClient.error(
            from: HTTPResponse(status: status, headers: headers, body: body.map { $0.serialized() } ?? []))
    }
}
