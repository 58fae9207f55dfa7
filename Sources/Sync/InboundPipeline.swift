import BackOffice
import Dataverse
import Foundation
import JSON
import Journal
import Logging
import SalesRules

/// Pulls the back office's changes into Dynamics: check that sopd acts as an integration user with
/// the switch on → read the feed after the journaled cursor, journaling each page's events with the
/// new cursor in one transaction → apply every unfinished event in feed order, as the integration
/// user, so Dynamics skips pricing and the back office's numbers stay. Blocking: run it on a Dispatch queue.
public final class InboundPipeline: Sendable {
    /// The journal's name for the back office's feed cursor.
    public static let cursorName = "backoffice.changes"

    private let dataverse: DataverseClient
    private let backOffice: BackOfficeClient
    private let journal: Journal
    private let settings: SyncSettings
    private let logger: Logger

    /// Creates a pipeline; `settings.changesPageSize` is the feed's `limit`.
    public init(dataverse: DataverseClient, backOffice: BackOfficeClient, journal: Journal, settings: SyncSettings, logger: Logger) {
        self.dataverse = dataverse
        self.backOffice = backOffice
        self.journal = journal
        self.settings = settings
        self.logger = logger
    }

    /// Runs one inbound pass.
    public func run() -> InboundReport {
        var report = InboundReport()
        do {
            if let refusal = try actingUserRefusal() {
                report.refusal = refusal
                logger.error("not pulling changes back", metadata: ["dir": "in", "error": "\(refusal)"])
                return report
            }
        } catch {
            report.readError = "cannot check the acting user: \(error)"
            logger.error("cannot check the acting user", metadata: ["dir": "in", "error": "\(error)"])
            return report
        }
        do {
            report.eventsRead = try readFeed()
        } catch {
            report.readError = "\(error)"
            logger.error("cannot read the back office's changes", metadata: ["dir": "in", "error": "\(error)"])
        }
        do {
            var blocked: [String: String] = [:]
            for transfer in try journal.unfinishedInbound() { apply(transfer, blocked: &blocked, into: &report) }
        } catch {
            report.readError = "\(error)"
        }
        return report
    }

    /// Why sopd must not write back, or nil: it must act as an integration user, with the switch on.
    private func actingUserRefusal() throws(DataverseError) -> String? {
        let me = try dataverse.whoAmI()
        let user = try dataverse.systemUser(me.userId)
        guard user.isIntegrationUser else {
            return "sopd acts as \(user.fullName) (\(user.systemUserId)), who is not an integration user, so Dynamics would recompute the back office's prices and refuse changes to submitted orders. Turn on 'Integration user mode' (isintegrationuser) for that user, or set dataverse.impersonate.callerObjectId to an integration user's Entra object id."
        }
        guard try dataverse.organizationSettings().isSOPIntegrationEnabled else {
            return "sales order processing integration is off in Dynamics (organization.issopintegrationenabled), so submitted orders are not locked and prices would be recomputed. Turn it on: sopd sop enable."
        }
        return nil
    }

    /// Reads every page after the journaled cursor; each page's events and the cursor after them
    /// are committed together.
    private func readFeed() throws -> Int {
        var cursor = try journal.cursor(Self.cursorName) ?? "0"
        var read = 0
        while true {
            let page = try backOffice.changes(after: cursor, limit: settings.changesPageSize)
            let transfers = page.events.map { event in
                Transfer(
                    direction: .inbound, orderId: event.dynamicsOrderId ?? "", orderNumber: event.orderNumber ?? event.orderId,
                    idempotencyKey: "in:\(event.id)", payload: event.json.jsonText, sequence: event.sequence)
            }
            try journal.record(transfers, cursorName: Self.cursorName, cursor: page.next)
            read += page.events.count
            guard !page.events.isEmpty, page.next != cursor else { return read }
            cursor = page.next
        }
    }

    /// Applies one journaled event, unless it must wait: its retry is not due, it is dead, or an
    /// earlier event of the same order did not apply (`blocked`); then it blocks the later ones too.
    private func apply(_ transfer: Transfer, blocked: inout [String: String], into report: inout InboundReport) {
        guard let id = transfer.id, let json = try? JSONParser.parse(transfer.payload), let event = ChangeEvent(json) else {
            return
        }
        let now = Date()
        let wait: String? =
            if let earlier = blocked[event.orderId] {
                "waits for \(earlier) of the same order, which did not apply"
            } else if transfer.state == .dead {
                "dead: \(transfer.lastError ?? "?"); sopd journal retry \(id)"
            } else if transfer.state == .failed, let due = transfer.nextAttemptAt, due > now {
                "failed (\(transfer.lastError ?? "?")); next attempt at \(due.formatted(.iso8601))"
            } else {
                nil
            }
        if let wait {
            blocked[event.orderId] = blocked[event.orderId] ?? event.id
            report.waiting.append(.init(eventId: event.id, type: event.type, orderNumber: transfer.orderNumber, reason: wait))
            return
        }
        var metadata: Logger.Metadata = [
            "order": "\(transfer.orderNumber)", "dir": "in", "event": "\(event.id)", "type": "\(event.type)",
        ]
        let started = Date()
        let clock = DispatchTime.now()
        let elapsed = { Int((DispatchTime.now().uptimeNanoseconds - clock.uptimeNanoseconds) / 1_000_000) }
        do {
            guard let claimed = try journal.beginAttempt(id) else {
                blocked[event.orderId] = blocked[event.orderId] ?? event.id
                return
            }
            metadata["attempt"] = "\(claimed.attempts)"
            do {
                try applyEvent(event, transfer: id)
            } catch {
                blocked[event.orderId] = blocked[event.orderId] ?? event.id
                let failure = FailureClass(any: error)
                let status = (error as? DataverseError)?.status
                let reason = "\(error)"
                let disposition = settings.retry.disposition(
                    after: claimed.attempts, failure: failure, now: Date(), random: Double.random(in: 0..<1))
                try journal.fail(
                    id, reason: reason, status: status, disposition: disposition,
                    attempt: .init(startedAt: started, durationMs: elapsed(), outcome: failure.label, excerpt: reason))
                metadata["ms"] = "\(elapsed())"
                if let status { metadata["status"] = "\(status)" }
                metadata["error"] = "\(reason)"
                metadata["class"] = "\(failure.label)"
                logger.warning(
                    disposition == .dead
                        ? "back-office event given up: dead in the journal until an operator retries it"
                        : "back-office event not applied; it stays in the journal for a retry", metadata: metadata)
                report.failed.append(.init(eventId: event.id, type: event.type, orderNumber: transfer.orderNumber, reason: reason))
                return
            }
            try journal.complete(
                id, remoteId: event.orderId, status: nil,
                attempt: .init(startedAt: started, durationMs: elapsed(), outcome: "ok"))
            metadata["ms"] = "\(elapsed())"
            logger.info("back-office event applied to Dynamics", metadata: metadata)
            report.applied.append(.init(eventId: event.id, type: event.type, orderNumber: transfer.orderNumber))
        } catch {
            metadata["error"] = "\(error)"
            logger.error("journal failure while applying a back-office event", metadata: metadata)
            report.failed.append(.init(eventId: event.id, type: event.type, orderNumber: transfer.orderNumber, reason: "\(error)"))
        }
    }

    private func readOrder(_ id: String) throws -> OrderSnapshot {
        let row: JSONValue
        do {
            row = try dataverse.retrieve("salesorders", id: id, select: OrderSnapshot.columns)
        } catch {
            guard error.code == .notFound else { throw error }
            throw InboundError("unknown order: Dynamics has no order \(id)")
        }
        return OrderSnapshot(id: id, row: row)
    }

    /// Applies one event; after a 412 the order is read again, the verdict asked again, and the
    /// event applied once more.
    private func applyEvent(_ event: ChangeEvent, transfer: Int64) throws {
        guard let orderId = event.dynamicsOrderId else { throw InboundError("unknown order: the event names no Dynamics order") }
        guard try journal.outboundTransfer(remoteId: event.orderId) != nil else {
            throw InboundError("unknown order: sopd never sent back-office order \(event.orderId)")
        }
        var order = try readOrder(orderId)
        for attempt in 1...2 {
            let verdict = InboundEventPolicy.verdict(
                for: event.type, complete: event.data["complete"]?.boolValue ?? true, state: order.state,
                status: order.status, submitStatus: order.submitStatus, sent: order.lastBackOfficeSubmit != nil)
            if case .refuse(let reason) = verdict { throw InboundError(reason) }
            if verdict == .apply, try writeMeetsConflict(event, order: order) {
                guard attempt == 1 else { throw InboundError("the order changed again while the event was re-applied (HTTP 412 twice)") }
                try journal.recordConflict(transfer)
                logger.notice(
                    "order changed while applying; read again and re-applied",
                    metadata: ["order": "\(order.orderNumber)", "dir": "in", "event": "\(event.id)", "status": "412"])
                order = try readOrder(orderId)
                continue
            }
            if event.type == "rejected" || event.type == "deleted" {
                // The next submission of this order is a new version, with a new idempotency key.
                try journal.markReturned(remoteId: event.orderId)
            }
            try writeNote(event, order: order)
            return
        }
    }

    /// Writes the event; true when Dynamics answered 412 because the order changed since it was read.
    private func writeMeetsConflict(_ event: ChangeEvent, order: OrderSnapshot) throws -> Bool {
        do {
            try write(event, to: order)
            return false
        } catch let error as DataverseError where error.code == .concurrencyConflict {
            return true
        }
    }

    private func write(_ event: ChangeEvent, to order: OrderSnapshot) throws {
        let now = Date().formatted(.iso8601)
        switch event.type {
        case "accepted":
            let number = event.data["backOfficeOrderNumber"]?.stringValue ?? event.orderId
            try dataverse.update(
                "salesorders", id: order.id,
                changes: [
                    "submitstatus": .int(InboundEventPolicy.acceptedStatusCode),
                    "submitstatusdescription": .string("Accepted by the back office as \(number) (\(event.orderId)) on \(now)"),
                ], ifMatch: order.etag)
        case "linesChanged":
            try writeLines(event, order: order)
        case "shipped":
            let complete = event.data["complete"]?.boolValue ?? true
            try dataverse.execute(
                "FulfillSalesOrder",
                parameters: [
                    "OrderClose": [
                        "subject": .string("\(complete ? "Shipped" : "Partly shipped") by the back office (\(event.orderId))"),
                        "salesorderid@odata.bind": .string("/salesorders(\(order.id))"),
                    ],
                    "Status": .int(complete ? OrderStatus.complete.rawValue : OrderStatus.partial.rawValue),
                ])
        case "invoiced":
            try writeInvoice(event, order: order)
        case "canceled":
            try dataverse.execute(
                "CancelSalesOrder",
                parameters: [
                    "OrderClose": [
                        "subject": .string("Canceled by the back office: \(event.data["reason"]?.stringValue ?? "no reason given")"),
                        "salesorderid@odata.bind": .string("/salesorders(\(order.id))"),
                    ],
                    "Status": .int(OrderStatus.noMoney.rawValue),
                ])
        default:
            let reason = event.data["reason"]?.stringValue ?? "no reason given"
            try dataverse.update(
                "salesorders", id: order.id,
                changes: [
                    "statecode": .int(OrderState.active.rawValue), "statuscode": .int(OrderStatus.pending.rawValue),
                    "lastbackofficesubmit": .null, "submitstatus": .int(InboundEventPolicy.returnedStatusCode),
                    "submitstatusdescription": .string(
                        "\(event.type == "deleted" ? "Deleted" : "Rejected") by the back office (\(event.orderId)): \(reason). Correct the order and submit it again."
                    ),
                ], ifMatch: order.etag)
        }
    }

    /// Makes the order's lines exactly the back office's — update the lines it knows, create the new
    /// ones with ids derived from the back-office line, delete the rest — and sets the header totals,
    /// all in one `$batch` changeset: the order never shows half of the change.
    private func writeLines(_ event: ChangeEvent, order: OrderSnapshot) throws {
        let rows = try dataverse.firstPage(
            "salesorderdetails",
            query: DataverseQuery(select: ["salesorderdetailid"], filter: "_salesorderid_value eq \(order.id)"), pageSize: 5000
        ).rows
        let existing = Dictionary(
            rows.compactMap { row in row["salesorderdetailid"]?.stringValue.map { ($0, row["@odata.etag"]?.stringValue ?? "*") } },
            uniquingKeysWith: { first, _ in first })
        var kept: Set<String> = []
        var requests: [BatchRequest] = []
        for line in event.data["lines"]?.arrayValue ?? [] {
            let id =
                line["dynamicsLineId"]?.stringValue
                ?? DeterministicID.make("salesorderdetail", event.orderId, String(line["lineNumber"]?.intValue ?? 0))
            kept.insert(id)
            var fields = BackOfficeNumbers.line(line)
            if let etag = existing[id] {
                requests.append(BatchRequest(method: .patch, path: "salesorderdetails(\(id))", body: .object(fields), headers: ["If-Match": etag]))
                continue
            }
            fields["salesorderid@odata.bind"] = .string("/salesorders(\(order.id))")
            fields.merge(try productFields(line)) { _, product in product }
            requests.append(
                BatchRequest(method: .patch, path: "salesorderdetails(\(id))", body: .object(fields), headers: ["If-None-Match": "*"]))
        }
        for (id, etag) in existing where !kept.contains(id) {
            requests.append(BatchRequest(method: .delete, path: "salesorderdetails(\(id))", headers: ["If-Match": etag]))
        }
        requests.append(
            BatchRequest(
                method: .patch, path: "salesorders(\(order.id))", body: .object(BackOfficeNumbers.totals(event.data["totals"] ?? .null)),
                headers: ["If-Match": order.etag]))
        _ = try dataverse.batch(requests, atomic: true)
    }

    /// The product of a back-office line: its Dynamics id when the back office has it, else found by
    /// product number, else a write-in line with the description.
    private func productFields(_ line: JSONValue) throws -> [String: JSONValue] {
        if let id = line["product"]?["id"]?.stringValue { return ["productid@odata.bind": .string("/products(\(id))")] }
        if let number = line["product"]?["number"]?.stringValue {
            let escaped = number.replacingOccurrences(of: "'", with: "''")
            let rows = try dataverse.firstPage(
                "products", query: DataverseQuery(select: ["productid"], filter: "productnumber eq '\(escaped)'", top: 1),
                pageSize: 1
            ).rows
            if let id = rows.first?["productid"]?.stringValue { return ["productid@odata.bind": .string("/products(\(id))")] }
        }
        return [
            "isproductoverridden": true,
            "productdescription": line["description"] ?? line["product"]?["name"] ?? "Item from the back office",
        ]
    }

    /// Creates the invoice and its lines with ids derived from the back-office invoice number, so a
    /// retry finds them instead of making two, then moves the order to Invoiced.
    private func writeInvoice(_ event: ChangeEvent, order: OrderSnapshot) throws {
        let invoiceNumber = event.data["invoiceNumber"]?.stringValue ?? event.id
        let invoiceId = DeterministicID.make("invoice", invoiceNumber)
        var invoice = BackOfficeNumbers.totals(event.data["totals"] ?? .null)
        invoice["name"] = .string("\(invoiceNumber) for \(order.orderNumber)")
        invoice["invoicenumber"] = .string(invoiceNumber)
        invoice["description"] = .string("Invoiced by the back office on \(event.data["invoiceDate"]?.stringValue ?? "?")")
        invoice["salesorderid@odata.bind"] = .string("/salesorders(\(order.id))")
        let lookups = [
            ("customerid_account", "_customerid_value", "accounts"), ("pricelevelid", "_pricelevelid_value", "pricelevels"),
            ("transactioncurrencyid", "_transactioncurrencyid_value", "transactioncurrencies"),
        ]
        for (navigation, column, set) in lookups {
            if let id = order.row[column]?.stringValue { invoice["\(navigation)@odata.bind"] = .string("/\(set)(\(id))") }
        }
        try dataverse.createIfAbsent("invoices", id: invoiceId, fields: invoice)
        for line in event.data["lines"]?.arrayValue ?? [] {
            var fields = BackOfficeNumbers.line(line)
            fields["invoiceid@odata.bind"] = .string("/invoices(\(invoiceId))")
            fields.merge(try productFields(line)) { _, product in product }
            let lineId = DeterministicID.make("invoicedetail", invoiceNumber, String(line["lineNumber"]?.intValue ?? 0))
            try dataverse.createIfAbsent("invoicedetails", id: lineId, fields: fields)
        }
        try dataverse.update(
            "salesorders", id: order.id,
            changes: ["statecode": .int(OrderState.invoiced.rawValue), "statuscode": .int(OrderStatus.invoiced.rawValue)],
            ifMatch: order.etag)
    }

    /// The order's timeline note for the event; its id is derived from the event's, so it is written once.
    private func writeNote(_ event: ChangeEvent, order: OrderSnapshot) throws {
        let (subject, text) = BackOfficeNumbers.note(event)
        try dataverse.createIfAbsent(
            "annotations", id: DeterministicID.make("annotation", event.id),
            fields: [
                "subject": .string(subject), "notetext": .string(text), "objecttypecode": "salesorder",
                "objectid_salesorder@odata.bind": .string("/salesorders(\(order.id))"),
            ])
    }
}
