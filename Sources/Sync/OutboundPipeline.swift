import BackOffice
import Dataverse
import Dispatch
import Foundation
import JSON
import Journal
import Logging

/// Pushes submitted orders to the back office: read a page → journal each order → `POST /orders`
/// with its idempotency key → stamp the order in Dynamics → journal the outcome. Pages are streamed
/// (one in memory at a time); the orders of a page go out concurrently, `maxInFlight` at a time.
/// Blocking: run it on a Dispatch queue.
public final class OutboundPipeline: Sendable {
    private let dataverse: DataverseClient
    private let backOffice: BackOfficeClient
    private let journal: Journal
    private let settings: SyncSettings
    private let logger: Logger

    /// The `submitstatus` sopd writes when the back office has received an order.
    public static let receivedStatusCode = 1

    /// Creates a pipeline.
    public init(
        dataverse: DataverseClient, backOffice: BackOfficeClient, journal: Journal, settings: SyncSettings,
        logger: Logger
    ) {
        self.dataverse = dataverse
        self.backOffice = backOffice
        self.journal = journal
        self.settings = settings
        self.logger = logger
    }

    /// Runs one outbound pass over every submitted, unsent order.
    public func run() -> CycleReport {
        var report = CycleReport()
        let started = DispatchTime.now()
        do {
            var page = try dataverse.firstPage(
                SubmittedOrdersQuery.entitySet, query: SubmittedOrdersQuery.query, pageSize: settings.pageSize)
            while true {
                report.pagesRead += 1
                deliver(page.rows, into: &report)
                guard let next = page.nextLink else { break }
                page = try dataverse.nextPage(next, pageSize: settings.pageSize)
            }
        } catch {
            report.readError = error
            logger.error(
                "cannot read submitted orders from Dataverse", metadata: ["dir": "out", "error": "\(error)"])
        }
        report.duration = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return report
    }

    /// Delivers one page with `maxInFlight` workers, each a serial queue of its own taking the next
    /// order until none is left. Serial queues get a thread at once; a concurrent queue's blocked
    /// work items would wait for the global pool to grow.
    private func deliver(_ orders: [JSONValue], into report: inout CycleReport) {
        let lock = NSLock()
        let group = DispatchGroup()
        nonisolated(unsafe) var nextIndex = 0
        nonisolated(unsafe) var outcomes: [OrderOutcome] = []
        for worker in 0..<min(max(1, settings.maxInFlight), orders.count) {
            DispatchQueue(label: "sopd.outbound.\(worker)").async(group: group) {
                while true {
                    let index: Int = lock.withLock {
                        defer { nextIndex += 1 }
                        return nextIndex
                    }
                    guard index < orders.count else { return }
                    let outcome = self.deliver(orders[index])
                    lock.withLock { outcomes.append(outcome) }
                }
            }
        }
        group.wait()
        for outcome in outcomes {
            switch outcome {
            case .delivered(let delivery): report.delivered.append(delivery)
            case .failed(let failure): report.failed.append(failure)
            case .skipped(let skip): report.skipped.append(skip)
            }
        }
    }

    private enum OrderOutcome {
        case delivered(CycleReport.Delivery)
        case failed(CycleReport.Failure)
        case skipped(CycleReport.Skip)
    }

    private func deliver(_ order: JSONValue) -> OrderOutcome {
        let orderId = order["salesorderid"]?.stringValue ?? "?"
        let orderNumber = order["ordernumber"]?.stringValue ?? orderId
        var metadata: Logger.Metadata = ["order": "\(orderNumber)", "dir": "out"]
        do {
            let key = OutboundKey.make(
                orderId: orderId, submitDate: order["submitdate"]?.stringValue,
                returnedVersions: try journal.returnedVersions(orderId: orderId))
            let payload: String
            do {
                payload = try OrderDocumentMapper.document(from: order).jsonText
            } catch {
                // Nothing to journal: without a document there is nothing to send or re-send. The
                // order is read again next cycle.
                metadata["error"] = "\(error)"
                logger.error("order not sent: Dataverse returned it without an id or number", metadata: metadata)
                return .failed(.init(orderNumber: orderNumber, reason: error.description, peerUnavailable: false))
            }
            let journaled = try journal.record(
                Transfer(
                    direction: .outbound, orderId: orderId, orderNumber: orderNumber, idempotencyKey: key,
                    payload: payload))
            guard let id = journaled.id else { throw JournalError("the journal returned a transfer without id") }
            if journaled.state == .done {
                return .skipped(
                    .init(
                        orderNumber: orderNumber,
                        reason: "already delivered as \(journaled.remoteId ?? "?") (journal); not sent again"))
            }
            let attempt = try journal.beginAttempt(id)
            metadata["attempt"] = "\(attempt.attempts)"
            // The journaled document is sent, not a fresh one: one key, one body, on every attempt.
            let document = try JSONParser.parse(attempt.payload)
            let receipt: OrderReceipt
            let sent = DispatchTime.now()
            do {
                receipt = try backOffice.submitOrder(document, idempotencyKey: key)
            } catch {
                metadata["status"] = "\(error.status.map(String.init) ?? "none")"
                metadata["ms"] = "\((DispatchTime.now().uptimeNanoseconds - sent.uptimeNanoseconds) / 1_000_000)"
                return try recordFailure(
                    id, orderNumber: orderNumber, reason: error.description, status: error.status,
                    peerUnavailable: error.code == .unavailable, metadata: metadata)
            }
            metadata["status"] = "\(receipt.status)"
            metadata["ms"] = "\(Int(receipt.duration * 1000))"
            metadata["backoffice_id"] = "\(receipt.orderId)"
            do {
                try stamp(order, orderId: orderId, receipt: receipt)
            } catch {
                return try recordFailure(
                    id, orderNumber: orderNumber,
                    reason: "delivered as \(receipt.orderId), but stamping the order in Dynamics failed: \(error)",
                    status: error.status, peerUnavailable: error.code == .unavailable, metadata: metadata,
                    remoteId: receipt.orderId)
            }
            _ = try journal.complete(id, remoteId: receipt.orderId, status: receipt.status)
            logger.info("order delivered to the back office", metadata: metadata)
            return .delivered(.init(orderNumber: orderNumber, backOfficeId: receipt.orderId, replayed: receipt.replayed))
        } catch {
            metadata["error"] = "\(error)"
            logger.error("journal failure; the order will be read again next cycle", metadata: metadata)
            return .failed(.init(orderNumber: orderNumber, reason: "\(error)", peerUnavailable: false))
        }
    }

    private func recordFailure(
        _ id: Int64, orderNumber: String, reason: String, status: Int?, peerUnavailable: Bool,
        metadata: Logger.Metadata, remoteId: String? = nil
    ) throws -> OrderOutcome {
        _ = try journal.fail(id, reason: reason, status: status, remoteId: remoteId)
        var details = metadata
        details["error"] = "\(reason)"
        logger.warning("order not delivered; it stays in the journal for the next cycle", metadata: details)
        return .failed(.init(orderNumber: orderNumber, reason: reason, peerUnavailable: peerUnavailable))
    }

    /// Marks the order as received by the back office, guarded by its ETag; after a 412 the row is
    /// read again and the stamp retried once, unless someone else stamped it meanwhile.
    private func stamp(_ order: JSONValue, orderId: String, receipt: OrderReceipt) throws(DataverseError) {
        let now = Date().formatted(.iso8601)
        let changes: [String: JSONValue] = [
            "lastbackofficesubmit": .string(now),
            "submitstatus": .int(Self.receivedStatusCode),
            "submitstatusdescription": .string("Received by the back office as \(receipt.orderId) on \(now) (sopd)"),
        ]
        let etag = order["@odata.etag"]?.stringValue ?? "*"
        do {
            try dataverse.update(SubmittedOrdersQuery.entitySet, id: orderId, changes: changes, ifMatch: etag)
        } catch where error.code == .concurrencyConflict {
            let current = try dataverse.retrieve(
                SubmittedOrdersQuery.entitySet, id: orderId, select: ["salesorderid", "lastbackofficesubmit"])
            guard current["lastbackofficesubmit"]?.isNull ?? true else { return }
            try dataverse.update(
                SubmittedOrdersQuery.entitySet, id: orderId, changes: changes,
                ifMatch: current["@odata.etag"]?.stringValue ?? "*")
        }
    }
}
