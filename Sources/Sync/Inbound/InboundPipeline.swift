import BackOffice
import Clocks
import Dataverse
import Foundation
import JSON
import Journal
import Logging
import SalesRules
import Transfers

/// Pulls the back office's changes into Dynamics: check that sopd acts as an integration user with
/// the switch on → read the feed after the journaled cursor, journaling each page's events with the
/// new cursor in one transaction → apply every unfinished event in feed order, as the integration
/// user, so Dynamics skips pricing and the back office's numbers stay. Blocking: run it on a Dispatch queue.
/// Whether an event is due (`TransferSchedule`), whether it applies (`InboundEventPolicy`), what it
/// writes (`InboundWrites`) and what a failure does (`FailureRecorder`) are decided elsewhere: this type drives the IO.
public final class InboundPipeline: Sendable {
    /// The journal's name for the back office's feed cursor.
    public static let cursorName = "backoffice.changes"

    private let dataverse: DataverseClient
    private let backOffice: BackOfficeClient
    private let journal: Journal
    private let settings: SyncSettings
    private let logger: Logger
    private let clock: any WallClock
    private let failures: FailureRecorder
    private let circuits: PeerCircuits

    /// Creates a pipeline; `settings.changesPageSize` is the feed's `limit`.
    /// The time comes from the journal's clock.
    /// - Parameters:
    ///   - failures: The one failure path, shared with the outbound pipeline.
    ///   - circuits: The peers' circuits, shared with the outbound pipeline.
    init(
        dataverse: DataverseClient, backOffice: BackOfficeClient, journal: Journal, settings: SyncSettings, logger: Logger,
        failures: FailureRecorder, circuits: PeerCircuits
    ) {
        self.circuits = circuits
        self.dataverse = dataverse
        self.backOffice = backOffice
        self.journal = journal
        self.settings = settings
        self.logger = logger
        self.clock = journal.clock
        self.failures = failures
    }

    /// Runs one inbound pass. While a peer is failing only its probe goes; its circuit tells the operator.
    public func run() -> InboundReport {
        var report = InboundReport()
        if case .hold(let outage) = circuits.admit(.dataverse) {
            report.readError = Self.waiting(for: outage)
            return report
        }
        do {
            let refusal = try actingUserRefusal()
            report.accessChecked = true
            circuits.succeeded(.dataverse)
            if let refusal {
                report.refusal = refusal
                logger.error("not pulling changes back", metadata: ["dir": "in", "error": "\(refusal)"])
                return report
            }
        } catch {
            report.readError = "cannot check the acting user: \(error)"
            circuits.ended(.dataverse, with: [error])
            if case .permanent = FailureClass(error) {
                logger.error("cannot check the acting user", metadata: ["dir": "in", "error": "\(error)"])
            }
            return report
        }
        switch circuits.admit(.backOffice) {
        case .hold(let outage):
            report.readError = Self.waiting(for: outage)
        case .go, .probe:
            do {
                report.eventsRead = try readFeed()
                circuits.succeeded(.backOffice)
            } catch {
                report.readError = "\(error)"
                circuits.ended(.backOffice, with: [error])
                if !(error is BackOfficeError) || FailureClass(any: error) == .permanent {
                    logger.error("cannot read the back office's changes", metadata: ["dir": "in", "error": "\(error)"])
                }
            }
        }
        do {
            var blocked: [String: String] = [:]
            for transfer in try journal.unfinishedInbound() { apply(transfer, blocked: &blocked, into: &report) }
        } catch {
            report.readError = "\(error)"
        }
        return report
    }

    /// Why nothing of a peer was read this pass: it is failing and waits for its probe.
    private static func waiting(for outage: PeerOutage) -> String {
        "\(outage.peer.label) is unavailable since \(outage.since.formatted(.iso8601)) (\(outage.lastError)); sopd probes it and goes on when it answers"
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
        var progress = FeedProgress(cursor: try journal.cursor(Self.cursorName) ?? "0", maxEvents: settings.maxEventsPerCycle)
        while true {
            let page = try backOffice.changes(after: progress.cursor, limit: settings.changesPageSize)
            try progress.accept(page)
            let now = clock.now()
            let transfers = page.events.map { event in
                Transfer(
                    direction: .inbound, orderId: event.dynamicsOrderId ?? "", orderNumber: event.orderNumber ?? event.orderId,
                    idempotencyKey: TransferKey.inbound(eventId: event.id), payload: event.json.jsonText,
                    sequence: event.sequence, now: now)
            }
            try journal.record(transfers, cursorName: Self.cursorName, cursor: page.next)
            guard progress.advance(past: page) else { return progress.eventsRead }
        }
    }

    /// Applies one journaled event, unless it must wait: the schedule says it is not due (its retry
    /// is later, it is dead, another sopd holds it), or an earlier event of the same order did not
    /// apply (`blocked`); then it blocks the later ones too.
    private func apply(_ transfer: Transfer, blocked: inout [String: String], into report: inout InboundReport) {
        // A second body of an event id waits, dead, for an operator; the first one applied, so the order's
        // later events do not wait for it.
        if transfer.state == .dead, TransferKey.isConflictingDuplicate(transfer.idempotencyKey) { return }
        guard let id = transfer.id, let json = try? JSONParser.parse(transfer.payload), let event = ChangeEvent(json) else {
            return
        }
        var wait: String? =
            if let earlier = blocked[event.orderId] {
                "waits for \(earlier) of the same order, which did not apply"
            } else {
                journal.waitReason(transfer, now: clock.now())?.description
            }
        var probe = false
        if wait == nil {
            switch circuits.admit(.dataverse) {
            case .go: break
            case .probe: probe = true
            case .hold(let outage): wait = "waits for Dataverse, unavailable since \(outage.since.formatted(.iso8601))"
            }
        }
        if let wait {
            blocked[event.orderId] = blocked[event.orderId] ?? event.id
            report.waiting.append(.init(eventId: event.id, type: event.type, orderNumber: transfer.orderNumber, reason: wait))
            return
        }
        var metadata: Logger.Metadata = [
            "order": "\(transfer.orderNumber)", "dir": "in", "event": "\(event.id)", "type": "\(event.type)",
        ]
        let started = clock.now()
        let uptime = DispatchTime.now()
        let elapsed = { Int((DispatchTime.now().uptimeNanoseconds - uptime.uptimeNanoseconds) / 1_000_000) }
        do {
            guard let claimed = try journal.beginAttempt(id) else {
                if probe { circuits.abandoned(.dataverse) }
                blocked[event.orderId] = blocked[event.orderId] ?? event.id
                return
            }
            metadata["attempt"] = .stringConvertible(claimed.attempts)
            do {
                try applyEvent(event, transfer: id)
                circuits.succeeded(.dataverse)
            } catch {
                circuits.ended(.dataverse, with: [error])
                blocked[event.orderId] = blocked[event.orderId] ?? event.id
                let failure = FailureClass(any: error)
                let status = (error as? DataverseError)?.status
                let reason = "\(error)"
                let disposition = try failures.record(
                    .init(failure: failure, reason: reason, status: status, outcome: failure.label), of: claimed,
                    started: started, durationMs: elapsed())
                metadata["ms"] = .stringConvertible(elapsed())
                if let status { metadata["status"] = .stringConvertible(status) }
                metadata["error"] = "\(reason)"
                metadata["class"] = "\(failure.label)"
                if case .retry(let at) = disposition { metadata["retry_at"] = "\(at.formatted(.iso8601))" }
                if disposition == .dead {
                    logger.error("back-office event given up: dead in the journal until an operator retries it", metadata: metadata)
                } else {
                    logger.log(
                        level: probe || circuits.wasFailingBefore(.dataverse) ? .debug : .warning,
                        "back-office event not applied; it stays in the journal for a retry",
                        metadata: metadata)
                }
                report.failed.append(.init(eventId: event.id, type: event.type, orderNumber: transfer.orderNumber, reason: reason))
                return
            }
            try journal.complete(
                id, remoteId: event.orderId, status: nil,
                attempt: .init(startedAt: started, durationMs: elapsed(), outcome: "ok"))
            metadata["ms"] = .stringConvertible(elapsed())
            logger.info("back-office event applied to Dynamics", metadata: metadata)
            report.applied.append(.init(eventId: event.id, type: event.type, orderNumber: transfer.orderNumber))
        } catch {
            if probe { circuits.abandoned(.dataverse) }
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
            throw InboundError(.unknownOrder, "unknown order: Dynamics has no order \(id)")
        }
        return OrderSnapshot(id: id, row: row)
    }

    /// Applies one event; after a 412 the order is read again, the verdict asked again, and the
    /// event applied once more.
    private func applyEvent(_ event: ChangeEvent, transfer: Int64) throws {
        guard let kind = event.kind else {
            throw InboundError(.unknownEventType, "unknown event type '\(event.type)'")
        }
        guard let orderId = event.dynamicsOrderId else {
            throw InboundError(.unknownOrder, "unknown order: the event names no Dynamics order")
        }
        guard try journal.outboundTransfer(remoteId: event.orderId) != nil else {
            throw InboundError(.unknownOrder, "unknown order: sopd never sent back-office order \(event.orderId)")
        }
        if kind == .linesChanged || kind == .invoiced, let repeated = InboundWrites.repeatedLineNumber(event) {
            throw InboundError(.doesNotApply, "\(kind.rawValue) repeats line number \(repeated); each line needs its own")
        }
        var order = try readOrder(orderId)
        for attempt in 1...2 {
            let verdict = InboundEventPolicy.verdict(
                for: kind, state: order.state, status: order.status, submitStatus: order.submitStatus,
                sent: order.lastBackOfficeSubmit != nil, shippedInPart: order.dateFulfilled != nil)
            if case .refuse(let reason) = verdict { throw InboundError(.doesNotApply, reason) }
            if verdict == .apply, try writeMeetsConflict(event, kind: kind, order: order) {
                guard attempt == 1 else {
                    throw InboundError(.changedAgain, "the order changed again while the event was re-applied (HTTP 412 twice)")
                }
                try journal.recordConflict(transfer)
                logger.notice(
                    "order changed while applying; read again and re-applied",
                    metadata: ["order": "\(order.orderNumber)", "dir": "in", "event": "\(event.id)", "status": .stringConvertible(412)])
                order = try readOrder(orderId)
                continue
            }
            if kind == .rejected || kind == .deleted {
                // The next submission of this order is a new version, with a new idempotency key.
                try journal.markReturned(remoteId: event.orderId)
            }
            let note = InboundWrites.note(event, kind: kind, order: order)
            try dataverse.createIfAbsent("annotations", id: note.id, fields: note.fields)
            return
        }
    }

    /// Writes the event; true when Dynamics answered 412 because the order changed since it was read.
    private func writeMeetsConflict(_ event: ChangeEvent, kind: ChangeEventKind, order: OrderSnapshot) throws -> Bool {
        do {
            try write(event, kind: kind, to: order)
            return false
        } catch let error as DataverseError where error.code == .concurrencyConflict {
            return true
        }
    }

    /// Sends what `InboundWrites` decides for the event.
    private func write(_ event: ChangeEvent, kind: ChangeEventKind, to order: OrderSnapshot) throws {
        switch InboundWrites.write(for: event, kind: kind, order: order, now: clock.now()) {
        case .updateOrder(let changes, let etag):
            try dataverse.update("salesorders", id: order.id, changes: changes, ifMatch: etag)
        case .action(let name, let parameters):
            try dataverse.execute(name, parameters: .object(parameters))
        case .replaceLines:
            let rows = try dataverse.firstPage(
                "salesorderdetails",
                query: DataverseQuery(select: ["salesorderdetailid"], filter: "_salesorderid_value eq \(order.id)"), pageSize: 5000
            ).rows
            let existing = Dictionary(
                rows.compactMap { row in row["salesorderdetailid"]?.stringValue.map { ($0, row["@odata.etag"]?.stringValue ?? "*") } },
                uniquingKeysWith: { first, _ in first })
            let requests = try InboundWrites.lineRequests(event, order: order, existing: existing, productFields: productFields)
            _ = try dataverse.batch(requests, atomic: true)
        case .invoice:
            _ = try dataverse.batch(InboundWrites.invoiceRequests(event, order: order, productFields: productFields), atomic: true)
            try dataverse.update("salesorders", id: order.id, changes: InboundWrites.invoicedOrder(event), ifMatch: order.etag)
        }
    }

    /// The product of a back-office line and its unit (the product's default unit: a line of an existing
    /// product needs one): found by the Dynamics id the back office has, else by product number; else a
    /// write-in line with the description.
    private func productFields(_ line: JSONValue) throws -> [String: JSONValue] {
        let product = line["product"] ?? .null
        let filters = [
            product["id"]?.stringValue.flatMap(UUID.init(uuidString:)).map { "productid eq \($0.uuidString.lowercased())" },
            product["number"]?.stringValue.map { "productnumber eq '\($0.replacingOccurrences(of: "'", with: "''"))'" },
        ]
        for filter in filters.compactMap({ $0 }) {
            let rows = try dataverse.firstPage(
                "products", query: DataverseQuery(select: ["productid", "_defaultuomid_value"], filter: filter, top: 1),
                pageSize: 1
            ).rows
            guard let id = rows.first?["productid"]?.stringValue else { continue }
            var fields: [String: JSONValue] = ["productid@odata.bind": .string("/products(\(id))")]
            if let unit = rows.first?["_defaultuomid_value"]?.stringValue { fields["uomid@odata.bind"] = .string("/uoms(\(unit))") }
            return fields
        }
        return [
            "isproductoverridden": true,
            "productdescription": line["description"] ?? line["product"]?["name"] ?? "Item from the back office",
        ]
    }
}
