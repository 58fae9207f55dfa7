import CCurl
import CCurlShim
import Foundation

/// One request on its own curl easy handle: the options set from an `HTTPRequest`, the buffers the
/// callbacks fill, and the completion to call. Owned by `CurlMultiLoop` while in flight.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let url: String
    let completion: @Sendable (Result<HTTPResponse, HTTPError>) -> Void
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private(set) var body: [UInt8] = []
    private(set) var headers = HTTPHeaders()
    private let maxResponseBytes: Int
    /// Why the transfer was stopped: its body grew past `maxResponseBytes`, or its headers past `maxHeaderBytes`.
    private var tooLarge: String?
    private var headerBytes = 0
    /// The most header bytes read for one answer, interim answers included.
    static let maxHeaderBytes = 256 << 10

    init?(
        request: HTTPRequest, configuration: HTTPClient.Configuration,
        completion: @escaping @Sendable (Result<HTTPResponse, HTTPError>) -> Void
    ) {
        guard let easy = curl_easy_init() else { return nil }
        self.easy = easy
        self.url = request.url
        self.completion = completion
        self.maxResponseBytes = configuration.maxResponseBytes
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        configure(request: request, configuration: configuration)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    private func configure(request: HTTPRequest, configuration: HTTPClient.Configuration) {
        setLong(CURLOPT_NOSIGNAL, 1)
        setString(CURLOPT_URL, request.url)
        setString(CURLOPT_PROTOCOLS_STR, "http,https")
        setLong(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout))
        setLong(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout ?? configuration.totalTimeout))
        setString(CURLOPT_USERAGENT, configuration.userAgent)
        setString(CURLOPT_ACCEPT_ENCODING, "")
        sopd_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        configureTLS(configuration.tls)

        switch request.method {
        case .get: setLong(CURLOPT_HTTPGET, 1)
        case .post: setLong(CURLOPT_POST, 1)
        default: setString(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        // A POST without a body still sends an empty one, or curl would read the body from stdin.
        if let body = request.body ?? (request.method == .post ? [] : nil) {
            sopd_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            if body.isEmpty {
                setString(CURLOPT_COPYPOSTFIELDS, "")
            } else {
                // COPYPOSTFIELDS copies the bytes, so the body's storage need not outlive this call.
                body.withUnsafeBytes { bytes in
                    _ = sopd_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                }
            }
        }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        // An empty "Expect:" stops curl from waiting for "100 Continue" before sending a body.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            list = curl_slist_append(list, line)
        }
        headerList = list
        sopd_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)

        let me = Unmanaged.passUnretained(self).toOpaque()
        sopd_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        sopd_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            guard transfer.body.count + length <= transfer.maxResponseBytes else {
                // Returning less than was handed over makes libcurl stop the transfer (CURLE_WRITE_ERROR).
                transfer.tooLarge = "it grew past \(transfer.maxResponseBytes) bytes"
                return 0
            }
            if let data, length > 0 {
                data.withMemoryRebound(to: UInt8.self, capacity: length) {
                    transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
                }
            }
            return length
        }
        sopd_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        sopd_curl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, userdata in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            transfer.headerBytes += length
            guard transfer.headerBytes <= CurlTransfer.maxHeaderBytes else {
                transfer.tooLarge = "its headers grew past \(CurlTransfer.maxHeaderBytes) bytes"
                return 0
            }
            if let data {
                let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                }
                transfer.receivedHeaderLine(line)
            }
            return length
        }
    }

    /// `seconds` as libcurl's milliseconds, within a millisecond and a day whatever the caller passed.
    static func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite else { return 86_400_000 }
        return Int(min(max(seconds, 0.001), 86_400) * 1000)
    }

    private func configureTLS(_ tls: TLSOptions) {
        setLong(CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0)
        setLong(CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0)
        if let caFile = tls.caFile { setString(CURLOPT_CAINFO, caFile) }
        if let caPath = tls.caPath { setString(CURLOPT_CAPATH, caPath) }
        if let certificate = tls.clientCertificateFile { setString(CURLOPT_SSLCERT, certificate) }
        if let key = tls.clientKeyFile { setString(CURLOPT_SSLKEY, key) }
        if let password = tls.clientKeyPassword { setString(CURLOPT_KEYPASSWD, password) }
    }

    private func receivedHeaderLine(_ line: String) {
        let trimmed = line.trimmingCharacters(in: [" ", "\r", "\n", "\t"])
        if trimmed.hasPrefix("HTTP/") {
            // A new status line: headers of an interim (1xx) response are dropped.
            headers = HTTPHeaders()
        } else if let colon = trimmed.firstIndex(of: ":") {
            let name = String(trimmed[..<colon])
            let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
            headers.add(name, value)
        }
    }

    /// Builds the outcome once curl reports the transfer finished with `code`.
    func finish(code: CURLcode) -> Result<HTTPResponse, HTTPError> {
        if let tooLarge {
            return .failure(
                HTTPError(code: .responseTooLarge, url: Self.redacted(url), detail: "the answer was cut off: \(tooLarge)"))
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            return .failure(
                HTTPError(
                    code: Self.classify(code), url: Self.redacted(url),
                    detail: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail))
        }
        var status = 0
        var connects = 0
        var seconds = 0.0
        getLong(CURLINFO_RESPONSE_CODE, &status)
        getLong(CURLINFO_NUM_CONNECTS, &connects)
        sopd_curl_easy_getinfo_double(easy, CURLINFO_TOTAL_TIME, &seconds)
        return .success(
            HTTPResponse(status: status, headers: headers, body: body, duration: seconds, newConnections: connects))
    }

    static func classify(_ code: CURLcode) -> HTTPError.Code {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return .connectionLost
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT,
            CURLE_UNKNOWN_OPTION:
            return .invalidRequest
        default:
            return .other
        }
    }

    /// The URL without user information or query string, safe for logs.
    static func redacted(_ url: String) -> String {
        var text = Substring(url)
        if let query = text.firstIndex(of: "?") { text = text[..<query] }
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
            !text[scheme.upperBound..<at].contains("/")
        {
            text = text[..<scheme.upperBound] + text[text.index(after: at)...]
        }
        return String(text)
    }

    private func setLong(_ option: CURLoption, _ value: Int) {
        sopd_curl_easy_setopt_long(easy, option, value)
    }

    private func setString(_ option: CURLoption, _ value: String) {
        sopd_curl_easy_setopt_string(easy, option, value)
    }

    private func getLong(_ info: CURLINFO, _ value: inout Int) {
        sopd_curl_easy_getinfo_long(easy, info, &value)
    }
}
