/// The parts of a `systemuser` row sopd reads.
public struct SystemUser: Sendable, Equatable {
    /// The user id.
    public var systemUserId: String
    /// The full name.
    public var fullName: String
    /// `isintegrationuser`: whether the user is in integration user mode.
    public var isIntegrationUser: Bool
}
