import BackOffice
import Foundation
import Journal
import Transfers

extension Transfer {
    /// The inbound transfer that applies `event`, keyed by its id, journaled at `now`.
    init(event: ChangeEvent, now: Date) {
        self.init(
            direction: .inbound, orderId: event.dynamicsOrderId ?? "", orderNumber: event.orderNumber ?? event.orderId,
            idempotencyKey: TransferKey.inbound(eventId: event.id), payload: event.json.jsonText, sequence: event.sequence, now: now)
    }
}

extension Journal {
    /// Whether an event of a back office whose lists hold every order (a mapped ERP) is about an order sopd sent:
    /// delivered under the event's order id, or on its way under its Dynamics number.
    func isAboutSentOrder(_ event: ChangeEvent) throws(JournalError) -> Bool {
        if try outboundTransfer(remoteId: event.orderId) != nil { return true }
        guard let number = event.orderNumber else { return false }
        return try outboundUnderWay(orderNumber: number) != nil
    }
}
