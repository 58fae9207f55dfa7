import Foundation
import HTTP
import JSON
import PeerText

/// Builds and sends the requests of a mapping: templates rendered, a URL starting with `/` put after the base URL,
/// the credentials' `Authorization` added, the answer classified.
struct MappedRequest: Sendable {
    let baseURL: String
    let authorizer: any BackOfficeAuthorizer
    /// The client; its `totalTimeout` bounds how long a request may have been under way.
    let http: HTTPClient

    /// `request` rendered with `context`.
    /// - Throws: `BackOfficeError.Code.refused` when a rendered header has a line break or a body is not JSON: the
    ///   same order renders the same way on every attempt.
    func build(_ request: HTTPMapping.Request, _ context: JSONValue) throws(BackOfficeError) -> HTTPRequest {
        let rendered = request.url.render(context)
        let url = Self.escaped(rendered.hasPrefix("/") ? baseURL + rendered : rendered)
        var headers: HTTPHeaders = ["Accept": "application/json"]
        var body: [UInt8]?
        if let template = request.body {
            let text = template.render(context)
            do {
                _ = try JSONParser.parse(text)
            } catch {
                throw BackOfficeError(
                    code: .refused,
                    message: "the body rendered from \(template.location) is not JSON (\(error)): a value it names is missing from the document, or the template is wrong; try sopd adapter test")
            }
            body = Array(text.utf8)
            headers.add("Content-Type", "application/json")
        }
        for (name, template) in request.headers {
            let value = template.render(context)
            guard HTTPHeaders.isValidValue(value) else {
                throw BackOfficeError(code: .refused, message: "the header \(name) rendered from \(template.location) is not a valid header value")
            }
            headers.add(name, value)
        }
        return HTTPRequest(method: request.method, url: url, headers: headers, body: body)
    }

    /// Sends `request` with the credentials; any answer comes back, and a 401 or 403 is thrown.
    /// - Throws: `BackOfficeError`: `unavailable` without an answer, `unauthorized` for 401 and 403.
    func send(_ request: HTTPRequest) throws(BackOfficeError) -> HTTPResponse {
        var request = request
        let credentials = try authorizer.header()
        request.headers.add(credentials.name, credentials.value)
        let response: HTTPResponse
        do {
            response = try http.perform(request)
        } catch {
            throw BackOfficeError(code: error.code == .invalidRequest ? .refused : .unavailable, message: PeerText.clean(error.description))
        }
        if response.status == 401 || response.status == 403 {
            if response.status == 401 { authorizer.refused() }
            throw BackOfficeError(
                code: .unauthorized, status: response.status, message: Self.excerpt(response.body, reason: nil),
                retryAfter: RetryAfter.seconds(response.headers["Retry-After"]))
        }
        return response
    }

    /// The reason an error answer gives: at `reason` (or contract v1's and Business Central's `/error/message`), else
    /// the start of the body; cleaned (`PeerText`), the answer may echo the request.
    static func excerpt(_ body: [UInt8], reason: JSONPointer?) -> String {
        let json = try? JSONParser.parse(body)
        if let json, let text = (reason ?? JSONPointer("/error/message")!).text(in: json) { return PeerText.clean(text) }
        return body.isEmpty ? "no body" : PeerText.clean(bytes: body)
    }

    /// `url` with every character a URL cannot hold as written (a space, a quote, non-ASCII) percent-encoded; what a
    /// template's values rendered is encoded already.
    static func escaped(_ url: String) -> String {
        url.addingPercentEncoding(withAllowedCharacters: allowed) ?? url
    }

    private static let allowed = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")
}
