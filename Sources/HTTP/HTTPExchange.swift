import Dispatch

/// How one request ended, for an `HTTPClient.Observer`.
public struct HTTPExchange: Sendable {
    /// The request's method.
    public var method: HTTPMethod
    /// The answer's status, or nil when no answer came.
    public var status: Int?
    /// Seconds from sending to the whole answer or the failure (the monotonic clock: a measure, not a decision).
    public var seconds: Double
    /// The seconds the answer's `Retry-After` asked for, if it did.
    public var retryAfter: Double?

    /// The exchange of `request`, ended now with `result`, sent at `started`.
    init(request: HTTPRequest, result: Result<HTTPResponse, HTTPError>, since started: DispatchTime) {
        method = request.method
        seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        if case .success(let response) = result {
            status = response.status
            retryAfter = RetryAfter.seconds(response.headers["Retry-After"])
        }
    }
}
