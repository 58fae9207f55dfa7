/// A transfer that produced no HTTP response: the peer could not be reached, did not answer in time,
/// failed the TLS handshake, or dropped the connection.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The host name did not resolve or no connection could be opened (refused, unreachable).
        public static let couldNotConnect = Code("could not connect")
        /// The connect or total timeout passed.
        public static let timedOut = Code("timed out")
        /// The TLS handshake or certificate verification failed, or a certificate file is unusable.
        public static let tls = Code("TLS failure")
        /// The connection broke while sending or receiving, or the server sent nothing.
        public static let connectionLost = Code("connection lost")
        /// The request itself could not be made (bad URL, unsupported protocol, bad option).
        public static let invalidRequest = Code("invalid request")
        /// The answer was longer than the client's `maxResponseBytes`, and was cut off.
        public static let responseTooLarge = Code("answer too large")
        /// Any other transport failure.
        public static let other = Code("transport failure")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// The URL that failed, without user information or query.
    public var url: String
    /// libcurl's explanation.
    public var detail: String

    /// Creates an error.
    public init(code: Code, url: String, detail: String) {
        self.code = code
        self.url = url
        self.detail = detail
    }

    public var description: String { "\(code) for \(url): \(detail)" }
}
