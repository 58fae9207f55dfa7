import Foundation
import JSON
import PeerText
import Transfers

/// What an order row read from Dynamics becomes in the journal, mappable or not: every order read
/// is journaled, so that none vanishes. Pure: no IO.
///
/// A mappable order becomes a pending transfer with its document. One that cannot be mapped (no
/// order number, say) becomes a transfer with an empty payload, which its first attempt gives up with
/// the mapping error: it is then dead, in `sopd status`, in the log and in the order's
/// `submitstatusdescription`. Its key is the order's usual key, so the same submission is not
/// journaled twice; a new submission (a new `submitdate`) is read and mapped again, and so is a dead
/// one an operator retries. A row without a usable `salesorderid` is keyed by a hash of its text.
struct OrderIntake {
    /// The order's `salesorderid`, when it is a GUID.
    let orderId: String?
    /// The number to show for it.
    let orderNumber: String
    /// The back-office document, when the row maps.
    let document: JSONValue?
    /// Why it does not map, when it does not.
    let mappingError: OrderMappingError?
    /// The `submitdate`, part of the key, when it is a printable identifier.
    private let submitDate: String?
    private let row: JSONValue

    init(_ row: JSONValue, intake: IntakeSettings = IntakeSettings()) {
        self.row = row
        let submitted = row["submitdate"]?.stringValue
        submitDate = PeerText.identifier(submitted)
        let id = row["salesorderid"]?.stringValue
        orderId = id.flatMap { UUID(uuidString: $0) != nil ? $0 : nil }
        orderNumber =
            PeerText.identifier(row["ordernumber"]?.stringValue) ?? orderId.map { "(no number) \($0)" } ?? "(unidentified order)"
        do throws(OrderMappingError) {
            guard orderId != nil else {
                throw OrderMappingError(
                    orderNumber: nil, message: "the row's salesorderid '\(PeerText.clean(id ?? "", limit: 60))' is not a GUID")
            }
            // The submit date becomes part of the idempotency key, a header value.
            if let submitted, submitDate == nil {
                throw OrderMappingError(
                    orderNumber: nil, message: "the row's submitdate '\(PeerText.clean(submitted, limit: 60))' is not a date")
            }
            document = try OrderDocumentMapper.document(from: row, intake: intake)
            mappingError = nil
        } catch {
            document = nil
            mappingError = error
        }
    }

    /// The transfer to journal; `returnedVersions` counts the earlier versions the back office returned.
    func transfer(returnedVersions: Int, now: Date) -> Transfer {
        let key =
            if let orderId {
                TransferKey.outbound(orderId: orderId, submitDate: submitDate, returnedVersions: returnedVersions)
            } else {
                "\(TransferDirection.outbound.rawValue):unidentified:\(DeterministicID.make(row.jsonText))"
            }
        return Transfer(
            direction: .outbound, orderId: orderId ?? "", orderNumber: orderNumber, idempotencyKey: key,
            payload: document?.jsonText ?? "", now: now)
    }
}
