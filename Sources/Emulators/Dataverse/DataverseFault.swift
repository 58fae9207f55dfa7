import JSON

/// An error the Dataverse emulator answers with: an HTTP status and the Web API's
/// `{"error":{"code","message"}}` body.
public struct DataverseFault: Error, Sendable {
    /// The HTTP status.
    public var status: Int
    /// The Dataverse error code, such as `0x80040217`.
    public var code: String
    /// The message.
    public var message: String
    /// Seconds for `Retry-After`, for a 429.
    public var retryAfter: Int? = nil

    /// The error body as Dataverse writes it.
    public var body: JSONValue { ["error": ["code": .string(code), "message": .string(message)]] }

    static func badQuery(_ error: QueryError) -> DataverseFault {
        DataverseFault(status: 400, code: error.code, message: error.message)
    }

    static func badRequest(_ message: String) -> DataverseFault {
        DataverseFault(status: 400, code: "0x80048d19", message: message)
    }

    static func notFound(_ entity: String, id: String) -> DataverseFault {
        DataverseFault(status: 404, code: "0x80040217", message: "\(entity) With Id = \(id) Does Not Exist")
    }

    static func resourceNotFound(_ segment: String) -> DataverseFault {
        DataverseFault(status: 404, code: "0x8006088a", message: "Resource not found for the segment '\(segment)'.")
    }

    static let versionMismatch = DataverseFault(
        status: 412, code: "0x80060882",
        message: "The version of the existing record doesn't match the RowVersion property provided.")

    static func duplicate(_ entity: String, id: String) -> DataverseFault {
        DataverseFault(
            status: 412, code: "0x80040237", message: "A record with matching key values already exists: \(entity) \(id).")
    }

    static func methodNotAllowed(_ method: String, _ path: String) -> DataverseFault {
        DataverseFault(status: 405, code: "0x80060888", message: "The HTTP method '\(method)' is not allowed on '\(path)'.")
    }
}
