/// The emulator server could not start.
public struct EmulatorServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    public var description: String { message }
}
