import HTTP
import PeerText

/// A Dataverse Web API call that failed: no answer, or an error answer (`{"error":{"code","message"}}`).
public struct DataverseError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// No HTTP answer: connection refused, timeout, TLS failure.
        public static let unavailable = Code("Dataverse unavailable")
        /// 401 or 403: the token is missing, expired or lacks a privilege.
        public static let unauthorized = Code("not authorized")
        /// The identity platform refused sopd's own credentials (`invalid_client`, a wrong client id,
        /// secret or tenant): a misconfiguration that waiting does not cure.
        public static let credentialsRefused = Code("credentials refused")
        /// 404: the row or resource does not exist.
        public static let notFound = Code("not found")
        /// 412: the row changed since it was read (ETag mismatch).
        public static let concurrencyConflict = Code("row changed since read")
        /// 429: a service protection limit was hit; see `retryAfter`.
        public static let throttled = Code("throttled")
        /// Another 4xx: the request was refused.
        public static let rejected = Code("request refused")
        /// 5xx: Dataverse failed.
        public static let serverError = Code("server error")
        /// A 2xx answer sopd could not read.
        public static let invalidResponse = Code("unreadable answer")
        /// Not sent: sopd is stopping, and a stop never waits for the request budget.
        public static let stopping = Code("not sent: sopd is stopping")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// The HTTP status, when there was an answer.
    public var status: Int?
    /// Dataverse's error code, such as `0x80040217`.
    public var serviceCode: String?
    /// What Dataverse or the transport said.
    public var message: String
    /// Seconds to wait before retrying, from `Retry-After`.
    public var retryAfter: Double?

    /// Creates an error.
    public init(code: Code, status: Int? = nil, serviceCode: String? = nil, message: String, retryAfter: Double? = nil) {
        self.code = code
        self.status = status
        self.serviceCode = serviceCode
        self.message = message
        self.retryAfter = retryAfter
    }

    /// Which service protection limit a 429 reports, from its error code, or nil.
    public var serviceProtectionLimit: String? {
        switch serviceCode?.lowercased() {
        case "0x80072322", "-2147015902": "number of requests"
        case "0x80072321", "-2147015903": "combined execution time"
        case "0x80072326", "-2147015898": "concurrent requests"
        default: nil
        }
    }

    init(transport error: HTTPError) {
        // A request that could not be made (a bad header value, a bad URL) fails the same way every time.
        self.init(code: error.code == .invalidRequest ? .rejected : .unavailable, message: PeerText.clean(error.description))
    }

    public var description: String {
        var text = "Dataverse: \(code)"
        if let limit = serviceProtectionLimit { text += " (service protection limit: \(limit))" }
        if let status { text += " (HTTP \(status)" + (serviceCode.map { ", \($0)" } ?? "") + ")" }
        return text + ": \(message)"
    }
}
