import FlyingFox
import FlyingSocks
import Foundation

/// A failure the reference back office can be told to answer `POST /orders` with, for the next N
/// requests: how tests reproduce what sopd meets in production.
public enum BackOfficeFault: Sendable, Equatable {
    /// Answer with this HTTP status (503, 422, …) and an error body.
    case status(Int)
    /// Answer 429 with `Retry-After: <seconds>`.
    case throttle(retryAfter: Int)
    /// Answer only after this many seconds, past the client's timeout.
    case hang(seconds: Double)
    /// Send the status line and headers, then break the connection mid-body.
    case drop

    /// Reads a fault from `{"kind": "status" | "throttle" | "hang" | "drop", "status", "retryAfter", "seconds"}`.
    init?(_ json: JSONValue) {
        switch json["kind"]?.stringValue {
        case "status": self = .status(json["status"]?.intValue ?? 503)
        case "throttle": self = .throttle(retryAfter: json["retryAfter"]?.intValue ?? 1)
        case "hang": self = .hang(seconds: json["seconds"]?.numberText.flatMap(Double.init) ?? 30)
        case "drop": self = .drop
        default: return nil
        }
    }

    /// The answer that plays the fault.
    func response() async -> FlyingFox.HTTPResponse {
        let body = Data(#"{"error":{"code":"injected_fault","message":"a fault injected for testing"}}"#.utf8)
        let json: HTTPHeaders = [HTTPHeader("Content-Type"): "application/json"]
        switch self {
        case .status(let status):
            return FlyingFox.HTTPResponse(statusCode: HTTPStatusCode(status, phrase: ""), headers: json, body: body)
        case .throttle(let seconds):
            var headers = json
            headers[HTTPHeader("Retry-After")] = String(seconds)
            return FlyingFox.HTTPResponse(statusCode: .tooManyRequests, headers: headers, body: body)
        case .hang(let seconds):
            try? await Task.sleep(for: .seconds(seconds))
            return FlyingFox.HTTPResponse(statusCode: .serviceUnavailable, headers: json, body: body)
        case .drop:
            return FlyingFox.HTTPResponse(
                statusCode: .created, headers: json, body: HTTPBodySequence(from: BrokenBytes(), count: 64))
        }
    }
}

/// A body that fails before its first byte, so that FlyingFox closes the connection mid-response.
private struct BrokenBytes: AsyncBufferedSequence {
    typealias Element = UInt8

    struct Iterator: AsyncBufferedIteratorProtocol {
        mutating func next() async throws -> UInt8? { throw SocketError.disconnected }
        mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? { throw SocketError.disconnected }
    }

    func makeAsyncIterator() -> Iterator { Iterator() }
}
