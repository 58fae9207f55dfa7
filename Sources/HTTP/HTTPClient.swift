import Dispatch

/// A small HTTP client on libcurl. Requests run concurrently through one curl multi handle and
/// reuse its connections. Three ways to send: with a completion (for Dispatch code), blocking (for
/// Dispatch worker queues only, never a Swift-concurrency thread), and `async`.
public final class HTTPClient: Sendable {
    /// Settings shared by every request of one client.
    public struct Configuration: Sendable {
        /// Seconds allowed to open a connection.
        public var connectTimeout: Double
        /// Seconds allowed for a whole request, connect included, unless the request says otherwise.
        public var totalTimeout: Double
        /// How the server is verified and how the client identifies itself over TLS.
        public var tls: TLSOptions
        /// The `User-Agent` header.
        public var userAgent: String
        /// The most connections kept open to one host.
        public var maxConnectionsPerHost: Int
        /// The longest answer body read, in bytes: a longer one is cut off while it arrives and fails
        /// with `HTTPError.Code.responseTooLarge`, so that no peer can make sopd's memory grow without bound.
        public var maxResponseBytes: Int

        /// Creates a configuration.
        public init(
            connectTimeout: Double = 10, totalTimeout: Double = 60, tls: TLSOptions = TLSOptions(),
            userAgent: String = BuildInfo.userAgent, maxConnectionsPerHost: Int = 16, maxResponseBytes: Int = 16 << 20
        ) {
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.tls = tls
            self.userAgent = userAgent
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// Hears every request that ended, answered or not, on the client's transfer thread: keep it short.
    public typealias Observer = @Sendable (HTTPExchange) -> Void

    /// The settings of this client.
    public let configuration: Configuration
    private let loop: CurlMultiLoop
    private let observer: Observer?

    /// Creates a client with its own connection pool; `observer` hears how each request ended (for metrics).
    public init(configuration: Configuration = Configuration(), observer: Observer? = nil) {
        self.configuration = configuration
        self.observer = observer
        self.loop = CurlMultiLoop(maxConnectionsPerHost: configuration.maxConnectionsPerHost)
    }

    deinit {
        loop.shutdown()
    }

    /// Starts `request` and calls `completion` on the client's transfer thread when it ends.
    /// Keep the completion short: it holds up every other transfer of this client.
    public func send(
        _ request: HTTPRequest, completion: @escaping @Sendable (Result<HTTPResponse, HTTPError>) -> Void
    ) {
        var completion = completion
        if let observer {
            let started = DispatchTime.now()
            let finish = completion
            completion = { result in
                observer(HTTPExchange(request: request, result: result, since: started))
                finish(result)
            }
        }
        let refusal: (code: HTTPError.Code, detail: String)
        if !request.headers.areValid {
            refusal = (.invalidRequest, "a header name or value holds a control character (CR, LF or NUL); the request was not sent")
        } else if let transfer = CurlTransfer(request: request, configuration: configuration, completion: completion) {
            loop.add(transfer)
            return
        } else {
            refusal = (.other, "libcurl could not create a transfer handle")
        }
        completion(.failure(HTTPError(code: refusal.code, url: CurlTransfer.redacted(request.url), detail: refusal.detail)))
    }

    /// Sends `request` and waits for the answer. Call it from Dispatch queues, never from a
    /// Swift-concurrency thread.
    /// - Throws: `HTTPError` when no HTTP response arrived.
    public func perform(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<HTTPResponse, HTTPError>?
        send(request) { result in
            outcome = result
            done.signal()
        }
        done.wait()
        return try outcome!.get()
    }

    /// Sends `request` and suspends until the answer arrives.
    /// - Throws: `HTTPError` when no HTTP response arrived.
    public func response(for request: HTTPRequest) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            send(request) { continuation.resume(with: $0) }
        }
    }
}
