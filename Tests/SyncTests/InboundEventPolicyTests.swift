import BackOffice
import SalesRules
import Sync
import Testing

/// The inbound verdict: whether an event applies to the order as Dynamics has it now.
@Suite struct InboundEventPolicyTests {
    private func verdict(
        _ kind: ChangeEventKind, _ status: OrderStatus, submitStatus: SubmitStatus? = .accepted, sent: Bool = true,
        shippedInPart: Bool = false
    ) -> InboundEventPolicy.Verdict {
        InboundEventPolicy.verdict(
            for: kind, state: status.state, status: status, submitStatus: submitStatus, sent: sent, shippedInPart: shippedInPart)
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

    /// A partial shipment leaves the order Submitted, so what follows it still applies; but goods have left, so it
    /// no longer goes back to the salesperson.
    @Test func aPartlyShippedOrderIsStillOpenButNotReturned() {
        for kind in [ChangeEventKind.linesChanged, .shipped, .invoiced, .canceled] {
            #expect(verdict(kind, .inProgress, shippedInPart: true) == .apply, "\(kind)")
        }
        for kind in [ChangeEventKind.rejected, .deleted] {
            #expect(
                verdict(kind, .inProgress, shippedInPart: true)
                    == .refuse("\(kind.rawValue) no longer applies: the order shipped in part, so it does not go back to the salesperson"))
        }
    }
}
