import BackOffice
import SalesRules

/// Whether a back-office event applies to the order as Dynamics has it now. Pure: the pipeline
/// asks before every write, and again after a conflict. An event that was applied already (a retry
/// after a crash) is recognised, so that applying is idempotent; one that does not fit is refused
/// with the reason, never half-applied.
public enum InboundEventPolicy {
    /// The answer.
    public enum Verdict: Sendable, Equatable {
        /// Apply the event.
        case apply
        /// The order already shows the event: only the timeline note may be missing.
        case alreadyApplied
        /// The event does not apply; the reason goes into the journal.
        case refuse(String)
    }

    /// The verdict for an event of `kind` on an order in `state`/`status` with `submitStatus`. A partial
    /// shipment leaves the order open (`InboundWrites`), so line changes, the complete shipment and the
    /// invoice still apply after it; a shipment on an order already closed as shipped, or invoiced, is shown.
    /// - Parameters:
    ///   - kind: The event's kind.
    ///   - sent: Whether the order still carries `lastbackofficesubmit`.
    ///   - shippedInPart: Whether the order shows a partial shipment (`datefulfilled`): it is not returned to the
    ///     salesperson any more.
    public static func verdict(
        for kind: ChangeEventKind, state: OrderState, status: OrderStatus?,
        submitStatus: SubmitStatus?, sent: Bool, shippedInPart: Bool = false
    ) -> Verdict {
        let accepted = submitStatus == .accepted
        let where_ = "the order is \(state.label)/\(status?.label ?? "?")"
        switch kind {
        case .accepted:
            return state == .submitted ? .apply : .refuse("accepted no longer applies: \(where_)")
        case .linesChanged:
            guard state == .submitted else { return .refuse("linesChanged no longer applies: \(where_)") }
            return accepted ? .apply : .refuse("out of order: linesChanged before accepted")
        case .shipped:
            if state == .fulfilled || state == .invoiced { return .alreadyApplied }
            guard state == .submitted else { return .refuse("shipped no longer applies: \(where_)") }
            return accepted ? .apply : .refuse("out of order: shipped before accepted")
        case .invoiced:
            if state == .invoiced { return .alreadyApplied }
            if state == .fulfilled || (state == .submitted && accepted) { return .apply }
            return .refuse(
                state == .submitted ? "out of order: invoiced before accepted" : "invoiced does not apply: \(where_)")
        case .canceled:
            if state == .canceled { return .alreadyApplied }
            return state == .submitted ? .apply : .refuse("canceled no longer applies: \(where_)")
        case .rejected, .deleted:
            if state == .active, !sent { return .alreadyApplied }
            guard state == .submitted else { return .refuse("\(kind.rawValue) no longer applies: \(where_)") }
            return shippedInPart
                ? .refuse("\(kind.rawValue) no longer applies: the order shipped in part, so it does not go back to the salesperson")
                : .apply
        }
    }
}
