import Testing
import Transfers

/// The idempotency keys, made and read in one place.
@Suite struct TransferKeyTests {
    @Test func theKeysOfOneVersionAreStableAndANewVersionGetsANewOne() {
        let first = TransferKey.outbound(orderId: "ABC", submitDate: "2026-11-21")
        #expect(first == "out:abc:2026-11-21")
        #expect(TransferKey.outbound(orderId: "ABC", submitDate: "2026-11-21", returnedVersions: 1) == "out:abc:2026-11-21:v2")
        #expect(TransferKey.inbound(eventId: "evt-000042") == "in:evt-000042")
    }

    @Test func anInboundKeyIsReadBackToItsEvent() {
        #expect(TransferKey.eventId(inbound: TransferKey.inbound(eventId: "evt-000042")) == "evt-000042")
        #expect(TransferKey.eventId(inbound: "out:abc:2026-11-21") == nil)
    }
}
