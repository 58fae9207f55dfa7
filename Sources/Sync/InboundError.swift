/// Why an event was not applied.
struct InboundError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
