/// A query option the emulator refuses, answered with 400 and Dataverse's error code for bad queries
/// (`0x80060888`), or `0x0` for an unknown property, as "Troubleshoot Dataverse Web API client errors" shows it.
struct QueryError: Error, Sendable {
    var message: String
    var code: String

    init(_ message: String, code: String = "0x80060888") {
        self.message = message
        self.code = code
    }

    /// The type of `property` on `entity`, or the error Dataverse gives for an unknown property.
    static func requireProperty(_ property: String, in entity: EntityDefinition) throws(QueryError) -> AttributeType {
        guard let type = entity.propertyType(property) else {
            throw QueryError(
                "Could not find a property named '\(property)' on type 'Microsoft.Dynamics.CRM.\(entity.logicalName)'.", code: "0x0")
        }
        return type
    }
}
