/// A query option the emulator refuses, answered with 400 and Dataverse's error code for bad queries.
struct QueryError: Error, Sendable {
    var message: String

    init(_ message: String) { self.message = message }

    /// The type of `property` on `entity`, or the error Dataverse gives for an unknown property.
    static func requireProperty(_ property: String, in entity: EntityDefinition) throws(QueryError) -> AttributeType {
        guard let type = entity.propertyType(property) else {
            throw QueryError(
                "Could not find a property named '\(property)' on type 'Microsoft.Dynamics.CRM.\(entity.logicalName)'.")
        }
        return type
    }
}
