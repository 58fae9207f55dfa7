import HTTP

/// A back-office call that failed: no answer, or an error answer.
public struct BackOfficeError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// No HTTP answer: connection refused, timeout, TLS failure.
        public static let unavailable = Code("back office unavailable")
        /// 401 or 403: the credentials were refused.
        public static let unauthorized = Code("credentials refused")
        /// 422: the back office cannot accept the order document; see `reasons`.
        public static let rejected = Code("order refused")
        /// 409: the idempotency key was already used with another document.
        public static let conflict = Code("idempotency conflict")
        /// 429: too many requests; see `retryAfter`.
        public static let throttled = Code("throttled")
        /// Another 4xx.
        public static let refused = Code("request refused")
        /// 5xx: the back office failed.
        public static let serverError = Code("server error")
        /// A 2xx answer sopd could not read.
        public static let invalidResponse = Code("unreadable answer")
        /// Nothing was sent: the journal refused the entry a create needs first, since another sopd took the order over.
        public static let withdrawn = Code("not sent")
        /// Nothing was sent: the journal could not record the create first (it fails); tried again later.
        public static let unjournaled = Code("create not journaled")
        /// A create went out without an answer and the lookup does not show its order yet: sopd waits before it
        /// creates the order anew; see `retryAfter`.
        public static let settling = Code("create settling")
        /// The back office holds more than one order for this one (created outside sopd, or before sopd kept
        /// track): sopd creates none and an operator decides.
        public static let ambiguous = Code("ambiguous lookup")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// The HTTP status, when there was an answer.
    public var status: Int?
    /// What the back office or the transport said.
    public var message: String
    /// Why the document was refused, for `rejected`.
    public var reasons: [String]
    /// Seconds to wait before retrying, from `Retry-After`.
    public var retryAfter: Double?

    /// Creates an error.
    public init(code: Code, status: Int? = nil, message: String, reasons: [String] = [], retryAfter: Double? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.reasons = reasons
        self.retryAfter = retryAfter
    }

    public var description: String {
        var text = "back office: \(code)"
        if let status { text += " (HTTP \(status))" }
        text += ": \(message)"
        if !reasons.isEmpty { text += " — " + reasons.joined(separator: "; ") }
        return text
    }
}
