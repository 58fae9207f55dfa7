import JSON

/// FlyingFox has a `JSONValue` of its own; inside the emulators the name means sopd's.
public typealias JSONValue = JSON.JSONValue
