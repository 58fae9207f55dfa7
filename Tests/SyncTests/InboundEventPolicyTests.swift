import BackOffice
import SalesRules
import Sync
import Testing

/// The inbound verdict: whether an event applies to the order as Dynamics has it now.
@Suite struct InboundEventPolicyTests {
    private func verdict(
        _ kind: ChangeEventKind, _ status: OrderStatus, submitStatus: SubmitStatus? = .accepted, sent: Bool = true
    ) -> InboundEventPolicy.Verdict {
        InboundEventPolicy.verdict(for: kind, state: status.state, status: status, submitStatus: submitStatus, sent: sent)
    }

    @Test func everyKindAppliesToASubmittedAcceptedOrder() {
        for kind in ChangeEventKind.allCases {
            #expect(verdict(kind, .inProgress) == .apply, "\(kind)")
        }
        #expect(verdict(.invoiced, .complete) == .apply)
    }

    @Test func anEventAlreadyShownIsRecognisedSoARetryIsIdempotent() {
        #expect(verdict(.shipped, .complete) == .alreadyApplied)
        #expect(verdict(.shipped, .partial) == .alreadyApplied, "closed as shipped (by hand): shown, not fulfilled again")
        #expect(verdict(.shipped, .invoiced) == .alreadyApplied)
        #expect(verdict(.invoiced, .invoiced) == .alreadyApplied)
        #expect(verdict(.canceled, .noMoney) == .alreadyApplied)
        #expect(verdict(.rejected, .pending, sent: false) == .alreadyApplied)
        #expect(verdict(.deleted, .pending, sent: false) == .alreadyApplied)
    }

    @Test func outOfOrderAndLateEventsAreRefusedWithTheReason() {
        #expect(verdict(.linesChanged, .inProgress, submitStatus: .received) == .refuse("out of order: linesChanged before accepted"))
        #expect(verdict(.shipped, .inProgress, submitStatus: nil) == .refuse("out of order: shipped before accepted"))
        #expect(verdict(.accepted, .complete) == .refuse("accepted no longer applies: the order is Fulfilled/Complete"))
        #expect(verdict(.invoiced, .inProgress, submitStatus: .received) == .refuse("out of order: invoiced before accepted"))
        #expect(verdict(.invoiced, .noMoney) == .refuse("invoiced does not apply: the order is Canceled/No Money"))
        #expect(verdict(.rejected, .invoiced) == .refuse("rejected no longer applies: the order is Invoiced/Invoiced"))
    }

    /// A partial shipment leaves the order Submitted, so what follows it still applies.
    @Test func aPartlyShippedOrderIsStillOpen() {
        for kind in [ChangeEventKind.linesChanged, .shipped, .invoiced, .canceled] {
            #expect(verdict(kind, .inProgress) == .apply, "\(kind)")
        }
    }
}
