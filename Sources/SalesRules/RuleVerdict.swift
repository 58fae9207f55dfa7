/// The answer of a rule: go ahead, or refused with the reason to show the user.
public enum RuleVerdict: Sendable, Equatable {
    case allowed
    case refused(String)
}
