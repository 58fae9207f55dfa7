import BackOffice
import Dataverse
import Foundation
import HTTP
import JSON
import Journal
import Logging

/// What delivering one order would send, read and rendered without sending anything (`sopd adapter test --order`):
/// the order read from Dynamics as the outbound read reads it (`intake` included, whatever its state), its document,
/// and the adapter's requests.
public struct OrderPreview: Sendable {
    /// The order's document, or why it cannot become one.
    public var document: Result<JSONValue, OrderMappingError>
    /// The idempotency key of the order's next version.
    public var idempotencyKey: String
    /// The order's state and whether it was sent, as Dynamics shows them.
    public var state: String
    /// The requests, when the order has a document.
    public var requests: Result<[(purpose: String, request: HTTPRequest)], BackOfficeError>?

    /// Why an order cannot be previewed.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// Dynamics has no order with that number.
        case notFound(String)
        /// Dynamics could not be read.
        case dataverse(DataverseError)

        public var description: String {
            switch self {
            case .notFound(let number): "Dynamics has no order numbered \(number)"
            case .dataverse(let error): "\(error)"
            }
        }
    }

    /// Reads order `orderNumber` and renders what `adapter` would send for it.
    /// - Parameter journal: Where the order's returned versions are counted, for its key.
    public static func make(
        orderNumber: String, dataverse: DataverseClient, adapter: any BackOfficeAdapter, settings: SyncSettings, journal: Journal?,
        logger: Logger
    ) throws(Failure) -> OrderPreview {
        var query = SubmittedOrdersQuery.query(settings.intake)
        query.filter = "ordernumber eq '\(orderNumber.replacingOccurrences(of: "'", with: "''"))'"
        query.select += ["statecode", "lastbackofficesubmit"]
        let row: JSONValue
        do {
            let page = try dataverse.firstPage(SubmittedOrdersQuery.entitySet, query: query, pageSize: 50)
            guard let first = page.rows.first else { throw Failure.notFound(orderNumber) }
            row = try OrderLinePages(dataverse: dataverse, pageSize: 50, maxPages: settings.maxPagesPerCycle, logger: logger).complete([first])[0]
        } catch let error as DataverseError {
            throw .dataverse(error)
        } catch let error as Failure {
            throw error
        } catch {
            throw .notFound(orderNumber)
        }
        let intake = OrderIntake(row, intake: settings.intake)
        let returned = intake.orderId.flatMap { id in try? journal?.returnedVersions(orderId: id) } ?? 0
        let transfer = intake.transfer(returnedVersions: returned, now: Date())
        let state =
            "statecode \(row["statecode"]?.intValue.map(String.init) ?? "?"), "
            + ((row["lastbackofficesubmit"]?.isNull ?? true) ? "not sent yet" : "sent on \(row["lastbackofficesubmit"]?.stringValue ?? "?")")
        guard let document = intake.document else {
            return OrderPreview(document: .failure(intake.mappingError!), idempotencyKey: transfer.idempotencyKey, state: state, requests: nil)
        }
        let submission = OrderSubmission(document: document.serialized(), idempotencyKey: transfer.idempotencyKey, orderNumber: intake.orderNumber)
        return OrderPreview(
            document: .success(document), idempotencyKey: transfer.idempotencyKey, state: state,
            requests: Result { () throws(BackOfficeError) in try adapter.preview(submission) })
    }
}
