import Foundation
import JSON
import SalesRules
@testable import Sync
import Testing

/// What the outbound side writes into an order: the stamp, and the reason when it gives up.
@Suite struct OrderChangesTests {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theStampTakesTheOrderOutOfTheSubmittedRead() {
        let changes = OrderChanges.stamp(backOfficeId: "BO-000042", now: now)
        #expect(changes["lastbackofficesubmit"] == "2027-01-15T08:00:00Z")
        #expect(changes["submitstatus"] == .int(SubmitStatus.received.rawValue))
        #expect(changes["submitstatusdescription"] == "Received by the back office as BO-000042 on 2027-01-15T08:00:00Z (sopd)")
        #expect(changes["statecode"] == nil, "the order stays submitted")
    }

    @Test func aRefusedDocumentGoesBackToTheSalesperson() {
        let changes = OrderChanges.notSent(reason: "back office: order refused (HTTP 422)", transferId: 7, returning: true)
        #expect(changes["statecode"] == .int(OrderState.active.rawValue))
        #expect(changes["statuscode"] == .int(OrderStatus.pending.rawValue))
        #expect(changes["lastbackofficesubmit"] == .null)
        #expect(changes["submitstatus"] == .int(SubmitStatus.notSent.rawValue))
        #expect(
            changes["submitstatusdescription"]
                == "Not sent to the back office: back office: order refused (HTTP 422). Correct the order and submit it again.")
    }

    @Test func anOrderGivenUpForAnotherReasonStaysSubmittedAndNamesTheRetry() {
        let changes = OrderChanges.notSent(reason: String(repeating: "x", count: 3000), transferId: 7, returning: false)
        #expect(changes["statecode"] == nil)
        #expect(changes["lastbackofficesubmit"] == nil)
        let text = changes["submitstatusdescription"]?.stringValue ?? ""
        #expect(text.count == 2000, "cut to what the column holds")
        let short = OrderChanges.notSent(reason: "timed out", transferId: 7, returning: false)
        #expect(short["submitstatusdescription"]?.stringValue?.hasSuffix("an administrator can: sopd journal retry 7.") == true)
    }
}
