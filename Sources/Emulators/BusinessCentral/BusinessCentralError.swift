import Foundation
import JSON

/// An error as Business Central answers it: a status and `{"error": {"code", "message"}}`, the message ending with a
/// correlation id (docs/business-central-facts.md §8).
struct BusinessCentralError: Error {
    var status: Int
    var code: String
    var message: String

    /// 400 `BadRequest`: a request BC cannot read.
    static func badRequest(_ message: String) -> BusinessCentralError {
        BusinessCentralError(status: 400, code: "BadRequest", message: message)
    }

    /// 400 `Application_DialogException`: a business rule of BC refused the record.
    static func dialog(_ message: String) -> BusinessCentralError {
        BusinessCentralError(status: 400, code: "Application_DialogException", message: message)
    }

    /// 404 `Internal_RecordNotFound`.
    static func notFound(_ entity: String, _ id: String) -> BusinessCentralError {
        BusinessCentralError(
            status: 404, code: "Internal_RecordNotFound", message: "The \(entity) does not exist. Identification fields and values: Id='\(id)'")
    }

    /// The body.
    var body: JSONValue {
        ["error": ["code": .string(code), "message": .string("\(message)  CorrelationId:  \(UUID().uuidString.lowercased()).")]]
    }
}
