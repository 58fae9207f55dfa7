import BackOffice
import Clocks
import Dataverse
import Dispatch
import Foundation
import JSON
import Journal
import Logging
import SalesRules
import Synchronization
import Transfers

/// Pulls the back office's changes into Dynamics: check that sopd acts as an integration user with
/// the switch on → read the feed after the journaled cursor, journaling each page's events with the
/// new cursor in one transaction → apply the unfinished events in rounds (each order's in feed order, different
/// orders' together in `$batch`es), as the integration user, so Dynamics skips pricing and the back office's numbers stay. Blocking: run it on a Dispatch queue.
/// Whether an event is due (`TransferSchedule`), whether it applies (`InboundEventPolicy`), what it
/// writes (`InboundWrites`) and what a failure does (`FailureRecorder`) are decided elsewhere: this type drives the IO.
public final class InboundPipeline: Sendable {
    /// The journal's name for the back office's feed cursor.
    public static let cursorName = "backoffice.changes"

    private let dataverse: DataverseClient
    private let backOffice: any BackOfficeAdapter
    private let journal: Journal
    private let settings: SyncSettings
    private let logger: Logger
    private let clock: any WallClock
    private let failures: FailureRecorder
    private let circuits: PeerCircuits
    /// The last check of the acting user and the switch: its refusal (nil when it allowed) and when.
    private let lastAccessCheck = Mutex<(refusal: String?, at: Date)?>(nil)
    /// The lease on the back office's change feed while this process reads it: one reader among the hosts.
    private let feedLease = Mutex<WorkLease?>(nil)

    /// Creates a pipeline; `settings.changesPageSize` is the feed's `limit`.
    /// The time comes from the journal's clock.
    /// - Parameters:
    ///   - failures: The one failure path, shared with the outbound pipeline.
    ///   - circuits: The peers' circuits, shared with the outbound pipeline.
    init(
        dataverse: DataverseClient, backOffice: any BackOfficeAdapter, journal: Journal, settings: SyncSettings, logger: Logger,
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
    /// A pass with nothing to write makes no Dataverse request once the acting user and the switch were
    /// found right (`mayWrite`), so an idle daemon can read the feed every couple of seconds.
    /// A pass with a `deadline` starts no further round of events once it has passed, and says so (`cutShort`).
    public func run(deadline: DispatchTime? = nil) -> InboundReport {
        var report = InboundReport()
        guard let lease = holdFeedLease(into: &report) else { return report }
        if case .hold(let outage) = circuits.admit(.dataverse) {
            report.readError = Self.waiting(for: outage)
            return report
        }
        guard mayWrite(into: &report, trustingAllowed: true) else { return report }
        switch circuits.admit(.backOffice) {
        case .hold(let outage):
            report.readError = Self.waiting(for: outage)
        case .go, .probe:
            do {
                report.eventsRead = try readFeed(under: lease)
                circuits.succeeded(.backOffice)
            } catch let error as JournalError where error.fenced {
                feedLease.withLock { $0 = nil }
                report.readBy = "another sopd, which took the lease over after this one's ran out"
                logger.warning("the back office's changes are read by another sopd now", metadata: ["dir": "in", "error": "\(error)"])
                return report
            } catch {
                report.readError = "\(error)"
                circuits.ended(.backOffice, with: [error])
                if !(error is BackOfficeError) || FailureClass(any: error) == .permanent {
                    logger.error("cannot read the back office's changes", metadata: ["dir": "in", "error": "\(error)"])
                }
            }
        }
        do {
            let unfinished = try journal.unfinishedInbound()
            guard !unfinished.isEmpty, mayWrite(into: &report, trustingAllowed: false) else { return report }
            applyJournaled(unfinished, deadline: deadline, into: &report)
        } catch {
            report.readError = "\(error)"
        }
        return report
    }

    /// The lease on the feed, taken or renewed (a write only once a third of it has passed: an idle daemon polls every
    /// couple of seconds); nil while another sopd holds it, which `report.readBy` names.
    private func holdFeedLease(into report: inout InboundReport) -> WorkLease? {
        let now = clock.now()
        if let held = feedLease.withLock({ $0 }), held.until.timeIntervalSince(now) > journal.leaseSeconds * 2 / 3 { return held }
        do {
            if let lease = try journal.acquireLease(Journal.feedLeaseName) {
                feedLease.withLock { $0 = lease }
                return lease
            }
            feedLease.withLock { $0 = nil }
            let holder = try journal.leases().first { $0.name == Journal.feedLeaseName }
            report.readBy = holder.map { "\($0.owner) (its lease ends \($0.until.formatted(.iso8601)) unless renewed)" } ?? "another sopd"
        } catch {
            report.readError = "cannot take the lease on the back office's changes: \(error)"
            logger.error("cannot take the lease on the back office's changes", metadata: ["dir": "in", "error": "\(error)"])
        }
        return nil
    }

    /// Gives the feed's lease back, as a stopping sopd does, so that another host reads the feed at once.
    public func releaseFeedLease() {
        guard let lease = feedLease.withLock({ held in defer { held = nil }; return held }) else { return }
        do { try journal.releaseLease(lease) } catch {
            logger.warning("cannot give back the lease on the back office's changes; another sopd takes it when it ends", metadata: ["error": "\(error)"])
        }
    }

    /// How long a check of the acting user and the switch (three requests) holds before events are written
    /// again; a refusal is checked again after as long.
    static let accessCheckSeconds: Double = 60

    /// Whether sopd may write back: the last check of the acting user and the switch while it holds
    /// (`accessCheckSeconds`, on the journal's clock; a clock set back makes it due), else a new one. With
    /// `trustingAllowed`, a check that allowed holds however old: the pass may have nothing to write, and the
    /// check goes again before it writes.
    private func mayWrite(into report: inout InboundReport, trustingAllowed: Bool) -> Bool {
        let now = clock.now()
        if let last = lastAccessCheck.withLock({ $0 }),
            (trustingAllowed && last.refusal == nil) || (0..<Self.accessCheckSeconds).contains(now.timeIntervalSince(last.at))
        {
            report.refusal = last.refusal
            return last.refusal == nil
        }
        do {
            let refusal = try actingUserRefusal()
            lastAccessCheck.withLock { $0 = (refusal, now) }
            report.accessChecked = true
            circuits.succeeded(.dataverse)
            guard let refusal else { return true }
            report.refusal = refusal
            logger.error("not pulling changes back", metadata: ["dir": "in", "error": "\(refusal)"])
        } catch {
            report.readError = "cannot check the acting user: \(error)"
            circuits.ended(.dataverse, with: [error])
            if case .permanent = FailureClass(error) {
                logger.error("cannot check the acting user", metadata: ["dir": "in", "error": "\(error)"])
            }
        }
        return false
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
    /// are committed together, under `lease` (refused once another sopd took it over).
    private func readFeed(under lease: WorkLease) throws -> Int {
        var progress = FeedProgress(cursor: try journal.cursor(Self.cursorName) ?? backOffice.initialCursor, maxEvents: settings.maxEventsPerCycle)
        while true {
            let read = try backOffice.changes(after: progress.cursor, limit: settings.changesPageSize)
            try progress.accept(read)
            var page = read
            if backOffice.listsOtherOrders { page.events = try read.events.filter(journal.isAboutSentOrder) }
            let now = clock.now()
            let transfers = page.events.map { Transfer(event: $0, now: now) }
            // A page with nothing new, the usual answer to a poll every couple of seconds, writes nothing.
            if !transfers.isEmpty || page.next != progress.cursor {
                try journal.record(
                    transfers, cursorName: Self.cursorName, cursor: page.next, lease: lease, numbering: backOffice.listsOtherOrders)
            }
            guard progress.advance(past: read) else { return progress.eventsRead }
        }
    }

    /// The `$batch`es that carry `items`' changesets in order, each within Dataverse's 1000 requests (an invoice's
    /// changeset grows with its lines); a changeset over that alone is a `$batch` of its own, which Dataverse refuses.
    private static func batches(of items: [Batched]) -> [[Batched]] {
        var batches: [[Batched]] = []
        var requests = 0
        for item in items {
            if batches.isEmpty || requests + item.changeset.count > DataverseClient.maxBatchRequests {
                batches.append([])
                requests = 0
            }
            batches[batches.count - 1].append(item)
            requests += item.changeset.count
        }
        return batches
    }

    /// Events per `$batch` (each event a changeset of one or two requests) and orders per read.
    private var eventsPerBatch: Int { max(1, min(settings.batchSize, 100)) }

    /// Applies the unfinished events of the journal in rounds: each round takes the next event of every
    /// order (an order's events apply in feed order, and one that did not apply holds back the later ones),
    /// `eventsPerBatch` at a time: their orders read in one request, their writes in one `$batch`, each
    /// event its own changeset (all or nothing).
    private func applyJournaled(_ unfinished: [Transfer], deadline: DispatchTime?, into report: inout InboundReport) {
        var queues: [String: ArraySlice<Pending>] = [:]
        var orders: [String] = []
        for transfer in unfinished {
            // A second body of an event id waits, dead, for an operator; the first one applied, so the order's
            // later events do not wait for it.
            if transfer.state == .dead, TransferKey.isConflictingDuplicate(transfer.idempotencyKey) { continue }
            guard transfer.id != nil, let json = try? JSONParser.parse(transfer.payload),
                let event = ChangeEvent(json) ?? transfer.sequence.flatMap({ ChangeEvent(json, sequence: $0) })
            else { continue }
            let key = Self.orderKey(event)
            if queues[key] == nil { orders.append(key) }
            queues[key, default: []].append(Pending(transfer: transfer, event: event))
        }
        var blocked: [String: String] = [:]
        var moved = false
        while true {
            var round: [Pending] = []
            for order in orders where blocked[order] == nil {
                if let next = queues[order]?.popFirst() { round.append(next) }
            }
            guard !round.isEmpty else { break }
            for start in stride(from: 0, to: round.count, by: eventsPerBatch) {
                // A pass goes on until a group applied or failed something, so that a backlog moves however short the slice.
                if moved, let deadline, DispatchTime.now() >= deadline {
                    report.cutShort = true
                    return
                }
                apply(Array(round[start..<min(start + eventsPerBatch, round.count)]), blocked: &blocked, into: &report)
                moved = !report.applied.isEmpty || !report.failed.isEmpty
            }
        }
        for order in orders {
            guard let earlier = blocked[order] else { continue }
            for later in queues[order] ?? [] {
                report.waiting.append(
                    .init(
                        eventId: later.event.id, type: later.event.type, orderNumber: later.transfer.orderNumber,
                        reason: "waits for \(earlier) of the same order, which did not apply"))
            }
        }
    }

    /// The order an event's place in line is kept for: its Dynamics order (every version the back office knows of
    /// it), else its back-office order.
    private static func orderKey(_ event: ChangeEvent) -> String {
        event.dynamicsOrderId?.lowercased() ?? event.orderId
    }

    /// Holds back the later events of `event`'s order: `event` did not apply, or waits.
    private static func hold(_ event: ChangeEvent, in blocked: inout [String: String]) {
        blocked[orderKey(event)] = blocked[orderKey(event)] ?? event.id
    }

    /// An event claimed, and the changeset it writes.
    private typealias Batched = (attempt: Attempt, kind: ChangeEventKind, changeset: [BatchRequest])

    /// A journaled event not yet applied.
    private struct Pending {
        var transfer: Transfer
        var event: ChangeEvent
    }

    /// An event claimed for an attempt.
    private struct Attempt {
        var transfer: Transfer
        var event: ChangeEvent
        /// Whether the attempt probes Dataverse while it fails.
        var probe: Bool
        var started: Date
        var uptime = DispatchTime.now()
        var metadata: Logger.Metadata

        /// Milliseconds since the attempt started, on the monotonic clock: a measure for the log, never a decision.
        var elapsed: Int { Int((DispatchTime.now().uptimeNanoseconds - uptime.uptimeNanoseconds) / 1_000_000) }
        var id: Int64 { transfer.id ?? 0 }
    }

    /// Applies events of different orders: those not due, or held for an outage, wait; the others are claimed
    /// together, their orders read in one request, and their writes sent in one `$batch`. An event whose write
    /// needs reads of its own (lines, invoice) or met a conflict (412) is applied on its own after.
    private func apply(_ pending: [Pending], blocked: inout [String: String], into report: inout InboundReport) {
        var remaining = pending[...]
        while !remaining.isEmpty {
            var ready: [(Pending, probe: Bool)] = []
            while let item = remaining.popFirst() {
                var wait = journal.waitReason(item.transfer, now: clock.now())?.description
                var probe = false
                if wait == nil {
                    switch circuits.admit(.dataverse) {
                    case .go: break
                    case .probe: probe = true
                    case .hold(let outage): wait = "waits for Dataverse, unavailable since \(outage.since.formatted(.iso8601))"
                    }
                }
                if let wait {
                    Self.hold(item.event, in: &blocked)
                    report.waiting.append(.init(eventId: item.event.id, type: item.event.type, orderNumber: item.transfer.orderNumber, reason: wait))
                    continue
                }
                ready.append((item, probe))
                // A probe goes before the rest are admitted: once it succeeds, they go too, in this pass.
                if probe { break }
            }
            send(ready, blocked: &blocked, into: &report)
        }
    }

    /// Claims, reads and writes events admitted together.
    private func send(_ ready: [(Pending, probe: Bool)], blocked: inout [String: String], into report: inout InboundReport) {
        guard !ready.isEmpty else { return }
        let claimed: [Int64: Transfer]
        do {
            claimed = try journal.beginAttempts(ready.map { $0.0.transfer.id ?? 0 })
        } catch {
            if ready.contains(where: \.probe) { circuits.abandoned(.dataverse) }
            logger.error("journal failure while applying back-office events", metadata: ["dir": "in", "error": "\(error)"])
            for (item, _) in ready {
                Self.hold(item.event, in: &blocked)
                report.failed.append(.init(eventId: item.event.id, type: item.event.type, orderNumber: item.transfer.orderNumber, reason: "\(error)"))
            }
            return
        }
        var attempts: [Attempt] = []
        for (item, probe) in ready {
            guard let transfer = claimed[item.transfer.id ?? 0] else {
                if probe { circuits.abandoned(.dataverse) }
                Self.hold(item.event, in: &blocked)
                continue
            }
            let metadata: Logger.Metadata = [
                "order": "\(transfer.orderNumber)", "dir": "in", "event": "\(item.event.id)", "type": "\(item.event.type)",
                "attempt": .stringConvertible(transfer.attempts),
            ]
            attempts.append(Attempt(transfer: transfer, event: item.event, probe: probe, started: clock.now(), metadata: metadata))
        }
        var checked: [(Attempt, kind: ChangeEventKind, orderId: String)] = []
        for attempt in attempts {
            do {
                let (kind, orderId) = try precheck(attempt.event)
                checked.append((attempt, kind, orderId))
            } catch {
                if attempt.probe { circuits.abandoned(.dataverse) }
                failed(attempt, error, blocked: &blocked, into: &report)
            }
        }
        guard !checked.isEmpty else { return }
        var orders: [String: OrderSnapshot] = [:]
        var products = ProductLookup()
        var alone: [Attempt] = []
        do {
            orders = try readOrders(checked.map(\.orderId))
            products = try self.products(for: checked.filter { $0.kind == .invoiced }.flatMap(\.0.event.lines))
            circuits.succeeded(.dataverse)
        } catch {
            circuits.ended(.dataverse, with: [error])
            switch FailureClass(error) {
            case .retryable, .conflict:
                for (attempt, _, _) in checked { failed(attempt, error, blocked: &blocked, into: &report) }
                return
            case .permanent:
                // Refused as a whole, perhaps for one of them: each reads its own order.
                alone = checked.map(\.0)
                checked = []
            }
        }
        var batched: [Batched] = []
        for (attempt, kind, orderId) in checked {
            guard let order = orders[orderId.lowercased()] else {
                failed(attempt, InboundError(.unknownOrder, "unknown order: Dynamics has no order \(orderId)"), blocked: &blocked, into: &report)
                continue
            }
            let verdict = InboundEventPolicy.verdict(
                for: kind, state: order.state, status: order.status, submitStatus: order.submitStatus,
                sent: order.lastBackOfficeSubmit != nil, shippedInPart: order.dateFulfilled != nil)
            if case .refuse(let reason) = verdict {
                failed(attempt, InboundError(.doesNotApply, reason), blocked: &blocked, into: &report)
                continue
            }
            guard
                let changeset = InboundWrites.changeset(
                    attempt.event, kind: kind, order: order, applying: verdict == .apply, products: products, now: clock.now())
            else {
                alone.append(attempt)
                continue
            }
            batched.append((attempt, kind, changeset))
        }
        var done: [Attempt] = []
        for var group in Self.batches(of: batched) {
            let results: [Result<[BatchResponse], DataverseError>]
            do {
                results = try dataverse.batch(changesets: group.map(\.changeset))
            } catch where FailureClass(error) == .permanent {
                // The whole $batch refused, perhaps for one of its events: each goes on its own.
                results = []
                alone += group.map(\.attempt)
                group = []
            } catch {
                results = Array(repeating: .failure(error), count: group.count)
            }
            circuits.ended(.dataverse, with: results.compactMap { result in if case .failure(let error) = result { error } else { nil } })
            for (item, result) in zip(group, results) {
                switch result {
                case .success:
                    if item.kind == .rejected || item.kind == .deleted {
                        // The next submission of this order is a new version, with a new idempotency key.
                        do { try journal.markReturned(remoteId: item.attempt.event.orderId) } catch {
                            failed(item.attempt, error, blocked: &blocked, into: &report)
                            continue
                        }
                    }
                    done.append(item.attempt)
                case .failure(let error) where error.code == .concurrencyConflict:
                    try? journal.recordConflict(item.attempt.id)
                    logger.notice(
                        "order changed while applying; read again and re-applied",
                        metadata: item.attempt.metadata.merging(["status": .stringConvertible(412)]) { _, new in new })
                    alone.append(item.attempt)
                case .failure(let error):
                    failed(item.attempt, error, blocked: &blocked, into: &report)
                }
            }
        }
        for attempt in alone {
            do {
                try applyEvent(attempt.event, transfer: attempt.id)
                circuits.succeeded(.dataverse)
                done.append(attempt)
            } catch {
                circuits.ended(.dataverse, with: [error])
                failed(attempt, error, blocked: &blocked, into: &report)
            }
        }
        let unrecorded = journal.complete(
            done.map { attempt in
                Journal.Completion(
                    id: attempt.id, remoteId: attempt.event.orderId, status: nil,
                    attempt: AttemptLog(startedAt: attempt.started, durationMs: attempt.elapsed, outcome: "ok"), fence: attempt.transfer.fence)
            })
        for attempt in done {
            if let error = unrecorded[attempt.id] {
                Self.hold(attempt.event, in: &blocked)
                if error.fenced {
                    logger.takenOver("this event", metadata: attempt.metadata.merging(["error": "\(error)"]) { _, new in new })
                    report.waiting.append(
                        .init(eventId: attempt.event.id, type: attempt.event.type, orderNumber: attempt.transfer.orderNumber, reason: Logger.takenOverReason))
                    continue
                }
                logger.error(
                    "journal failure while applying a back-office event",
                    metadata: attempt.metadata.merging(["error": "\(error)"]) { _, new in new })
                report.failed.append(
                    .init(eventId: attempt.event.id, type: attempt.event.type, orderNumber: attempt.transfer.orderNumber, reason: "\(error)"))
                continue
            }
            logger.info(
                "back-office event applied to Dynamics",
                metadata: attempt.metadata.merging(["ms": .stringConvertible(attempt.elapsed)]) { _, new in new })
            report.applied.append(.init(eventId: attempt.event.id, type: attempt.event.type, orderNumber: attempt.transfer.orderNumber))
        }
    }

    /// Journals a failed attempt through the one failure path and logs it; the order's later events wait.
    /// One a stop kept from going is left `sending`, without a failed attempt: the next start takes it back.
    private func failed(_ attempt: Attempt, _ error: any Error, blocked: inout [String: String], into report: inout InboundReport) {
        let event = attempt.event
        Self.hold(event, in: &blocked)
        if let error = error as? DataverseError, error.code == .stopping {
            report.waiting.append(.init(eventId: event.id, type: event.type, orderNumber: attempt.transfer.orderNumber, reason: "\(error)"))
            return
        }
        let failure = FailureClass(any: error)
        let status = (error as? DataverseError)?.status
        let reason = "\(error)"
        var metadata = attempt.metadata
        metadata["ms"] = .stringConvertible(attempt.elapsed)
        if let status { metadata["status"] = .stringConvertible(status) }
        metadata["error"] = "\(reason)"
        metadata["class"] = "\(failure.label)"
        do {
            let disposition = try failures.record(
                .init(failure: failure, reason: reason, status: status, outcome: failure.label), of: attempt.transfer,
                started: attempt.started, durationMs: attempt.elapsed)
            if case .retry(let at) = disposition { metadata["retry_at"] = "\(at.formatted(.iso8601))" }
            if disposition == .dead {
                logger.error("back-office event given up: dead in the journal until an operator retries it", metadata: metadata)
            } else {
                // An event that came before its order's delivery was recorded (by another sopd) is the usual race of
                // several hosts, not a problem.
                let race = (error as? InboundError)?.code == .deliveryUnderWay
                logger.log(
                    level: attempt.probe || circuits.wasFailingBefore(.dataverse) ? .debug : race ? .info : .warning,
                    "back-office event not applied; it stays in the journal for a retry", metadata: metadata)
            }
        } catch where error.fenced {
            metadata["error"] = "\(error)"
            logger.takenOver("this event", metadata: metadata)
        } catch {
            metadata["error"] = "\(error)"
            logger.error("journal failure while applying a back-office event", metadata: metadata)
        }
        report.failed.append(.init(eventId: event.id, type: event.type, orderNumber: attempt.transfer.orderNumber, reason: reason))
    }

    /// The event's kind and Dynamics order, once the event names both, sopd sent that order, and its lines (if
    /// any) each have a number of their own.
    private func precheck(_ event: ChangeEvent) throws -> (ChangeEventKind, String) {
        guard let kind = event.kind else {
            throw InboundError(.unknownEventType, "unknown event type '\(event.type)'")
        }
        // A back office that keeps no Dynamics ids (a mapped ERP) names the order by its own id: the delivery sopd
        // journaled tells which Dynamics order that is.
        let delivered = try journal.outboundTransfer(remoteId: event.orderId)
        guard let orderId = event.dynamicsOrderId ?? delivered?.orderId else {
            if let number = event.orderNumber, let sending = try journal.outboundUnderWay(orderNumber: number) {
                throw InboundError(
                    .deliveryUnderWay,
                    "order \(sending.orderNumber) is on its way to the back office (\(sending.state)) and its delivery as \(event.orderId) is not recorded yet; the event waits for it")
            }
            throw InboundError(.unknownOrder, "unknown order: sopd never sent back-office order \(event.orderId)")
        }
        guard delivered != nil else {
            if let sending = try journal.outboundUnderWay(orderId: orderId) {
                throw InboundError(
                    .deliveryUnderWay,
                    "order \(sending.orderNumber) is on its way to the back office (\(sending.state)\(sending.leaseOwner.map { " by \($0)" } ?? "")) and its delivery as \(event.orderId) is not recorded yet; the event waits for it")
            }
            throw InboundError(.unknownOrder, "unknown order: sopd never sent back-office order \(event.orderId)")
        }
        if kind == .linesChanged || kind == .invoiced, let repeated = InboundWrites.repeatedLineNumber(event) {
            throw InboundError(.doesNotApply, "\(kind.rawValue) repeats line number \(repeated); each line needs its own")
        }
        return (kind, orderId)
    }

    /// The orders `ids` name, as read now, by id (lower case); one Dynamics does not have is left out.
    private func readOrders(_ ids: [String]) throws(DataverseError) -> [String: OrderSnapshot] {
        let unique = Array(Set(ids.map { $0.lowercased() })).sorted()
        var orders: [String: OrderSnapshot] = [:]
        for start in stride(from: 0, to: unique.count, by: 100) {
            let named = DataverseQuery.anyOf("salesorderid", unique[start..<min(start + 100, unique.count)])
            let rows = try dataverse.firstPage("salesorders", query: DataverseQuery(select: OrderSnapshot.columns, filter: named), pageSize: 100).rows
            for row in rows {
                guard let id = row["salesorderid"]?.stringValue?.lowercased() else { continue }
                orders[id] = OrderSnapshot(id: id, row: row)
            }
        }
        return orders
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
        let (kind, orderId) = try precheck(event)
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
            // The products are read only if a line is new: one that Dynamics has keeps its product.
            var products: ProductLookup?
            let requests = try InboundWrites.lineRequests(event, order: order, existing: existing) { line in
                if products == nil { products = try self.products(for: event.lines) }
                return products!.fields(line)
            }
            _ = try dataverse.batch(requests, atomic: true)
        case .invoice:
            let products = try products(for: event.lines)
            _ = try dataverse.batch(InboundWrites.invoiceRequests(event, order: order, productFields: products.fields), atomic: true)
        }
    }

    /// The products `lines` name, as `ProductLookup` finds them, in one read per `ProductLookup.perRead` conditions.
    private func products(for lines: [JSONValue]) throws(DataverseError) -> ProductLookup {
        var rows: [JSONValue] = []
        for filter in ProductLookup.filters(for: lines) {
            rows += try dataverse.firstPage(
                "products", query: DataverseQuery(select: ProductLookup.columns, filter: filter), pageSize: 5000
            ).rows
        }
        return ProductLookup(rows: rows)
    }
}
