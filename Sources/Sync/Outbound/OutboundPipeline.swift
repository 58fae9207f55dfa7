import BackOffice
import Clocks
import Dataverse
import Dispatch
import Foundation
import HTTP
import JSON
import Journal
import Logging
import PeerText
import Transfers

/// Pushes submitted orders to the back office. A pass first sends what the journal says is due
/// (new, due for a retry, or left `sending` by a sopd that died), then reads the submitted orders
/// Dynamics has not seen sent, page by page (one page in memory at a time). For each: journal →
/// `POST /orders` with its idempotency key → stamp the order in Dynamics → journal the outcome and
/// the attempt. Orders go out concurrently, as many POSTs at a time as the back office's `ConcurrencyLimit`
/// allows (learnt from its answer times, `maxInFlight` at most). Blocking: run it on a Dispatch queue.
/// What is due, what a failure does and what is written into the order are decided elsewhere
/// (`TransferSchedule`, `FailureRecorder`, `OrderChanges`): this type drives the IO.
public final class OutboundPipeline: Sendable {
    private let dataverse: DataverseClient
    private let backOffice: any BackOfficeAdapter
    private let journal: Journal
    private let settings: SyncSettings
    private let logger: Logger
    private let clock: any WallClock
    private let failures: FailureRecorder
    private let circuits: PeerCircuits
    private let progress: (@Sendable (_ done: Int, _ total: Int?) -> Void)?
    /// The back office's POSTs in flight; what it learns carries over from cycle to cycle.
    private let backOfficeLimit: ConcurrencyLimiter

    /// Creates a pipeline; `progress` hears how many orders were handled so far, and of how many once known.
    /// The time of attempts, retries and stamps is the journal's clock.
    /// - Parameters:
    ///   - failures: The one failure path, shared with the inbound pipeline.
    ///   - circuits: The peers' circuits, shared with the inbound pipeline.
    init(
        dataverse: DataverseClient, backOffice: any BackOfficeAdapter, journal: Journal, settings: SyncSettings,
        logger: Logger, failures: FailureRecorder, circuits: PeerCircuits,
        progress: (@Sendable (_ done: Int, _ total: Int?) -> Void)? = nil
    ) {
        self.dataverse = dataverse
        self.backOffice = backOffice
        self.journal = journal
        self.settings = settings
        self.logger = logger
        self.clock = journal.clock
        self.failures = failures
        self.circuits = circuits
        self.progress = progress
        backOfficeLimit = ConcurrencyLimiter(settings.backOfficeLimit)
    }

    /// Runs one outbound pass; without `readingDynamics` only the transfers due in the journal are sent. A pass
    /// with a `deadline` reads no further page once it has passed, and says so (`cutShort`).
    public func run(readingDynamics: Bool = true, deadline: DispatchTime? = nil) -> CycleReport {
        var report = CycleReport()
        let handled = Counter()
        do {
            let due = try journal.dueOutbound(now: clock.now())
            handled.total = due.count
            if !due.isEmpty { deliver(due.map { Work.journaled($0) }, into: &report, handled: handled) }
        } catch {
            report.failed.append(.init(orderNumber: "(journal)", reason: "\(error)", peerUnavailable: false))
        }
        guard readingDynamics else { return report }
        if case .hold(let outage) = circuits.admit(.dataverse) {
            report.readError = DataverseError(
                code: .unavailable,
                message: "Dataverse is unavailable since \(outage.since.formatted(.iso8601)) (\(outage.lastError)); sopd probes it and reads when it answers")
            return report
        }
        do {
            if settings.changeTracking {
                // Not cut short: the delta link taken with the full read would pass over the orders left unread.
                try readChanges(into: &report, handled: handled)
            } else {
                try readSubmitted(into: &report, handled: handled, deadline: deadline)
            }
        } catch let error as DataverseError {
            report.readError = error
            if error.code == .stopping {
                circuits.abandoned(.dataverse)
            } else if case .retryable = FailureClass(error) {
                circuits.failed(.dataverse, error: error.description)
            } else {
                circuits.succeeded(.dataverse)
                logger.error("cannot read submitted orders from Dataverse", metadata: ["dir": "out", "error": "\(error)"])
            }
        } catch {
            circuits.abandoned(.dataverse)
            report.failed.append(.init(orderNumber: "(journal)", reason: "\(error)", peerUnavailable: false))
            logger.error("journal failure while reading submitted orders", metadata: ["dir": "out", "error": "\(error)"])
        }
        return report
    }

    /// The back office's POSTs that may be in flight now.
    var backOfficeConcurrency: Int { backOfficeLimit.current }

    /// The fingerprint of the submitted, unsent orders (`SubmittedOrdersProbe`): one request.
    public func probe() throws(DataverseError) -> String {
        SubmittedOrdersProbe.fingerprint(
            of: try dataverse.firstPage(
                SubmittedOrdersQuery.entitySet, query: SubmittedOrdersProbe.query(settings.intake), pageSize: 1, count: true))
    }

    /// The journal's name for the outbound delta link.
    public static let deltaCursorName = "dataverse.salesorders.delta"

    /// Every submitted, unsent order, page by page; the next page is read while this one is delivered (two pages
    /// in memory at most). Paging follows the last row served, so the orders stamped meanwhile shift nothing.
    private func readSubmitted(into report: inout CycleReport, handled: Counter, deadline: DispatchTime?) throws {
        let lines = lines(pageSize: settings.pageSize)
        var page = try dataverse.firstPage(
            SubmittedOrdersQuery.entitySet, query: SubmittedOrdersQuery.query(settings.intake), pageSize: settings.pageSize, count: true)
        circuits.succeeded(.dataverse)
        if let count = page.count { handled.total = (handled.total ?? 0) + count }
        var links = PageLinks(maxPages: settings.maxPagesPerCycle)
        let counted = page.count
        var read = 0
        defer {
            // What the status and the metrics call not yet read: what the count found beyond the rows this read took.
            if let counted {
                do { try journal.setUnreadOrders(max(0, counted - read)) } catch {
                    logger.error("cannot record the unread orders in the journal", metadata: ["dir": "out", "error": "\(error)"])
                }
            }
        }
        if let counted { countExcluded(besides: counted) }
        var rows = try lines.complete(page.rows)
        while true {
            report.pagesRead += 1
            read += page.rows.count
            // A next link that loops fails the read, but only once this page, read already, went out.
            let link = Result { () throws(DataverseError) in try links.follow(page.nextLink) }
            let ahead = (try? link.get())?.map { next in
                PageAhead { () throws(DataverseError) in
                    let page = try self.dataverse.nextPage(next, pageSize: self.settings.pageSize)
                    return (page, try lines.complete(page.rows))
                }
            }
            do {
                deliver(try journaled(rows), into: &report, handled: handled)
            } catch {
                _ = try? ahead?.wait()
                throw error
            }
            _ = try link.get()
            guard let ahead else { break }
            // Cut only after a page that moved something: a first page of orders that all wait (a retry not due,
            // dead ones) is read through, so that the orders behind it are reached. The page read ahead is dropped
            // (waited for, so that no read outlives the cycle, whatever it answered).
            let moved = !report.delivered.isEmpty || !report.failed.isEmpty
            if moved, let deadline, DispatchTime.now() >= deadline {
                _ = try? ahead.wait()
                report.cutShort = true
                break
            }
            (page, rows) = try ahead.wait()
        }
        if links.stoppedShort {
            logger.notice(
                "read dataverse.maxPagesPerCycle pages of submitted orders; the rest waits for the next cycle",
                metadata: ["dir": "out", "pages": .stringConvertible(settings.maxPagesPerCycle)])
        }
    }

    /// Under `intake.filter`, counts the submitted orders waiting to be sent that it leaves out (`counted` match it),
    /// in one request, and journals the count for `sopd status` and the metrics: no order is left out unseen. Without a
    /// filter, a count left by an earlier one is removed. A failure is logged: the read goes on.
    private func countExcluded(besides counted: Int) {
        do {
            guard settings.intake.filter != nil else {
                if try journal.excludedOrders() != nil { try journal.removeCursor(Journal.excludedOrdersName) }
                return
            }
            let all = try dataverse.firstPage(
                SubmittedOrdersQuery.entitySet,
                query: DataverseQuery(select: ["salesorderid"], filter: SubmittedOrdersQuery.waitingFilter), pageSize: 1, count: true
            ).count ?? counted
            let excluded = max(0, all - counted)
            if try journal.excludedOrders()?.count != excluded {
                logger.notice("submitted orders left out by intake.filter", metadata: ["dir": "out", "excluded": .stringConvertible(excluded)])
            }
            try journal.setExcludedOrders(excluded)
        } catch {
            logger.error("cannot count the orders intake.filter leaves out", metadata: ["dir": "out", "error": "\(error)"])
        }
    }

    /// A page of submitted orders being read on a queue of its own while the one before it is delivered.
    private final class PageAhead: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<(EntityPage, [JSONValue]), DataverseError>?

        init(_ read: @escaping @Sendable () throws(DataverseError) -> (EntityPage, [JSONValue])) {
            DispatchQueue(label: "sopd.outbound.read-ahead").async {
                self.result = Result(catching: read)
                self.done.signal()
            }
        }

        /// The page and its orders with their lines read to the end, once read.
        func wait() throws(DataverseError) -> (EntityPage, [JSONValue]) {
            done.wait()
            return try result!.get()
        }
    }

    /// With change tracking: follow the journaled delta link, so that an idle poll is one small
    /// request; fetch the orders it names that wait to be sent, journal them with the new delta
    /// link in one transaction, and send them. Without a link, or when Dataverse refuses it (expired),
    /// start tracking anew and read every submitted order once.
    private func readChanges(into report: inout CycleReport, handled: Counter) throws {
        if let link = try journal.cursor(Self.deltaCursorName) {
            do {
                let delta = try dataverse.changes(since: link)
                circuits.succeeded(.dataverse)
                report.pagesRead += 1
                let waiting = delta.rows.filter { row in
                    row["@odata.context"] == nil && row["statecode"]?.intValue == 1 && (row["lastbackofficesubmit"]?.isNull ?? true)
                }.compactMap { $0["salesorderid"]?.stringValue }
                let orders = try fetch(waiting)
                let transfers = try journal.record(
                    orders.map { order in try transfer(for: order) }, cursorName: Self.deltaCursorName, cursor: delta.deltaLink ?? link)
                deliver(zip(orders, transfers).map { Work.read($0, journaled: $1, claimed: false) }, into: &report, handled: handled)
                return
            } catch let error as DataverseError where error.code == .rejected || error.code == .notFound {
                logger.notice(
                    "the change-tracking token was refused (expired?); reading every submitted order again",
                    metadata: ["dir": "out", "error": "\(error)"])
                try journal.removeCursor(Self.deltaCursorName)
            }
        }
        var tracking = try dataverse.firstPage(
            SubmittedOrdersQuery.entitySet, query: DataverseQuery(select: ["salesorderid", "statecode", "lastbackofficesubmit"]),
            pageSize: 5000, trackChanges: true)
        var links = PageLinks(maxPages: settings.maxPagesPerCycle)
        while let next = try links.follow(tracking.nextLink) {
            tracking = try dataverse.nextPage(next, pageSize: 5000, trackChanges: true)
        }
        try readSubmitted(into: &report, handled: handled, deadline: nil)
        if let link = tracking.deltaLink { try journal.setCursor(Self.deltaCursorName, to: link) }
    }

    /// The submitted, unsent orders among `ids`, with everything their documents need, 50 per read.
    private func fetch(_ ids: [String]) throws(DataverseError) -> [JSONValue] {
        var orders: [JSONValue] = []
        for start in stride(from: 0, to: ids.count, by: 50) {
            var query = SubmittedOrdersQuery.query(settings.intake)
            let named = DataverseQuery.anyOf("salesorderid", ids[start..<min(start + 50, ids.count)])
            query.filter = "\(query.filter ?? "true") and (\(named))"
            orders += try lines(pageSize: 50).complete(
                dataverse.firstPage(SubmittedOrdersQuery.entitySet, query: query, pageSize: 50).rows)
        }
        return orders
    }

    /// What reads the rest of the lines of orders read `pageSize` rows per page.
    private func lines(pageSize: Int) -> OrderLinePages {
        OrderLinePages(dataverse: dataverse, pageSize: pageSize, maxPages: settings.maxPagesPerCycle, logger: logger)
    }

    /// The transfer an order read from Dynamics becomes. One that cannot become a document is journaled
    /// all the same, with an empty payload (`OrderIntake`), and is given up at its first attempt.
    private func transfer(for order: JSONValue) throws -> Transfer {
        let intake = OrderIntake(order, intake: settings.intake)
        let returned = try intake.orderId.map { orderId in try journal.returnedVersions(orderId: orderId) } ?? 0
        return intake.transfer(returnedVersions: returned, now: clock.now())
    }

    /// The orders of a read as work: those new to the journal journaled and claimed for their first attempt in one
    /// transaction.
    private func journaled(_ orders: [JSONValue]) throws -> [Work] {
        let recorded = try journal.recordClaimingNew(orders.map { order in try transfer(for: order) })
        return zip(orders, recorded).map { Work.read($0, journaled: $1.transfer, claimed: $1.claimed) }
    }

    /// An order to deliver: read from Dynamics this cycle (and journaled; `claimed` when new, claimed as it was
    /// journaled), or found due in the journal.
    private enum Work: Sendable {
        case read(JSONValue, journaled: Transfer, claimed: Bool)
        case journaled(Transfer)

        /// The transfer claimed already, whose claim is given back when it is not tried.
        var claimed: Transfer? {
            if case .read(_, let transfer, true) = self { transfer } else { nil }
        }
    }

    /// Orders handled so far in a pass, and how many there are once known.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        private var known: Int?
        var total: Int? {
            get { lock.withLock { known } }
            set { lock.withLock { known = newValue } }
        }
        func increment() -> (done: Int, total: Int?) { lock.withLock { value += 1; return (value, known) } }
    }

    /// Delivers a batch with `maxInFlight` workers (the back office's limit holds their POSTs), each a serial queue of its own taking the next
    /// order until none is left. Serial queues get a thread at once; a concurrent queue's blocked
    /// work items would wait for the global pool to grow.
    /// Orders held for a failing peer go in a second round once the probe they waited for succeeded,
    /// so a recovered peer's backlog drains in the same pass.
    private func deliver(_ work: [Work], into report: inout CycleReport, handled: Counter) {
        var held = deliverRound(work, into: &report, handled: handled)
        if !held.isEmpty, circuits.outages.isEmpty {
            held = deliverRound(held.map(\.work), into: &report, handled: handled)
        }
        report.skipped += held.map(\.skip)
        release(held.compactMap(\.work.claimed))
    }

    /// Gives back the claims of orders claimed as they were journaled and then not tried (held for a failing
    /// peer): they wait as pending, with no attempt counted, instead of under this process's lease.
    private func release(_ claimed: [Transfer]) {
        do { try journal.release(claimed) } catch {
            logger.error(
                "cannot give back the claims of orders not tried: they stay claimed by this sopd until a read finds them again (one attempt more counted) or it restarts",
                metadata: ["dir": "out", "error": "\(error)"])
        }
    }

    /// One round of `deliver`; returns the orders held for a failing peer. The stamps go out while the POSTs
    /// go on: each time `batchSize` orders are posted, their `$batch` leaves on a serial queue of its own.
    private func deliverRound(_ work: [Work], into report: inout CycleReport, handled: Counter)
        -> [(work: Work, skip: CycleReport.Skip)]
    {
        let lock = NSLock()
        let group = DispatchGroup()
        let stamps = DispatchGroup()
        let stamper = DispatchQueue(label: "sopd.outbound.stamps")
        nonisolated(unsafe) var nextIndex = 0
        nonisolated(unsafe) var outcomes: [OrderOutcome] = []
        nonisolated(unsafe) var posted: [Posted] = []
        nonisolated(unsafe) var held: [(work: Work, skip: CycleReport.Skip)] = []
        let stampChunk: @Sendable ([Posted]) -> Void = { chunk in
            stamper.async(group: stamps) {
                let stamped = self.stamp(chunk)
                lock.withLock { outcomes += stamped }
            }
        }
        for worker in 0..<min(max(1, settings.maxInFlight), work.count) {
            DispatchQueue(label: "sopd.outbound.\(worker)").async(group: group) {
                while true {
                    let index: Int = lock.withLock {
                        defer { nextIndex += 1 }
                        return nextIndex
                    }
                    guard index < work.count else { return }
                    let outcome = self.deliver(work[index])
                    if case .held(let skip) = outcome {
                        lock.withLock { held.append((work[index], skip)) }
                        continue
                    }
                    let full: [Posted]? = lock.withLock {
                        guard case .posted(let order) = outcome else {
                            outcomes.append(outcome)
                            return nil
                        }
                        posted.append(order)
                        guard posted.count >= max(1, self.settings.batchSize) else { return nil }
                        defer { posted = [] }
                        return posted
                    }
                    if let full { stampChunk(full) }
                    if case .skipped = outcome {} else if let progress = self.progress {
                        let (done, total) = handled.increment()
                        progress(done, total)
                    }
                }
            }
        }
        group.wait()
        if !posted.isEmpty { stampChunk(posted) }
        stamps.wait()
        for outcome in outcomes {
            switch outcome {
            case .delivered(let delivery): report.delivered.append(delivery)
            case .failed(let failure): report.failed.append(failure)
            case .skipped(let skip), .held(let skip): report.skipped.append(skip)
            case .posted: break
            }
        }
        return held
    }

    /// Stamps the orders of `batch` in one `$batch`; each answer completes or fails its own transfer.
    /// An order that changed since it was read (412) is read again and stamped on its own.
    private func stamp(_ batch: [Posted]) -> [OrderOutcome] {
        let requests = batch.map { order in
            BatchRequest(
                method: .patch, path: "\(SubmittedOrdersQuery.entitySet)(\(order.transfer.orderId))",
                body: .object(OrderChanges.stamp(backOfficeId: order.receipt.orderId, now: clock.now())), headers: ["If-Match": order.etag ?? "*"])
        }
        let answers: [Result<Void, DataverseError>]
        do {
            answers = try dataverse.batch(requests).map { answer in answer.error.map { .failure($0) } ?? .success(()) }
        } catch {
            answers = Array(repeating: .failure(error), count: batch.count)
        }
        circuits.ended(.dataverse, with: answers.compactMap { answer in if case .failure(let error) = answer { error } else { nil } })
        var outcomes: [OrderOutcome] = []
        var stamped: [Posted] = []
        for (order, answer) in zip(batch, answers) {
            var outcome = answer
            if case .failure(let error) = answer, error.code == .concurrencyConflict {
                outcome = Result { () throws(DataverseError) in
                    try stamp(orderId: order.transfer.orderId, etag: nil, receipt: order.receipt)
                }
            }
            if case .success = outcome {
                stamped.append(order)
                continue
            }
            do {
                outcomes.append(try finish(order, stamped: outcome))
            } catch {
                logger.error("journal failure after stamping", metadata: ["order": "\(order.transfer.orderNumber)", "error": "\(error)"])
                outcomes.append(.failed(.init(orderNumber: order.transfer.orderNumber, reason: "\(error)", peerUnavailable: false)))
            }
        }
        return outcomes + completed(stamped)
    }

    /// Journals the orders whose stamps went through as delivered, in one transaction.
    private func completed(_ orders: [Posted]) -> [OrderOutcome] {
        let failed = journal.complete(
            orders.map { order in
                Journal.Completion(
                    id: order.transfer.id!, remoteId: order.receipt.orderId, status: order.receipt.status,
                    attempt: .init(startedAt: order.started, durationMs: order.elapsed, outcome: "ok"), fence: order.transfer.fence)
            })
        return orders.map { order in
            var metadata = order.metadata
            metadata["ms"] = .stringConvertible(order.elapsed)
            if let error = failed[order.transfer.id!] {
                metadata["error"] = "\(error)"
                if error.fenced {
                    logger.takenOver("this order", metadata: metadata)
                    return .skipped(.init(orderNumber: order.transfer.orderNumber, reason: Logger.takenOverReason))
                }
                logger.error("journal failure after stamping", metadata: metadata)
                return .failed(.init(orderNumber: order.transfer.orderNumber, reason: "\(error)", peerUnavailable: false))
            }
            logger.info("order delivered to the back office", metadata: metadata)
            return .delivered(
                .init(orderNumber: order.transfer.orderNumber, backOfficeId: order.receipt.orderId, replayed: order.receipt.replayed))
        }
    }

    /// Journals the outcome of an order whose stamp was tried.
    private func finish(_ order: Posted, stamped: Result<Void, DataverseError>) throws -> OrderOutcome {
        var metadata = order.metadata
        metadata["ms"] = .stringConvertible(order.elapsed)
        switch stamped {
        case .failure(let error) where error.code == .stopping:
            // Left `sending`: the next start takes it back, sends it again under its key (the back office replays its
            // answer) and stamps it. No attempt failed.
            return .skipped(.init(orderNumber: order.transfer.orderNumber, reason: "\(error)"))
        case .failure(let error):
            let reason = "delivered as \(order.receipt.orderId), but stamping the order in Dynamics failed: \(error)"
            let failure = FailureClass(error)
            return try recordFailure(
                order.transfer,
                .init(
                    failure: failure, reason: reason, status: error.status, remoteId: order.receipt.orderId,
                    outcome: "\(failure.label): stamp \(error.code)"),
                peerUnavailable: error.code == .unavailable, metadata: metadata, started: order.started,
                durationMs: order.elapsed, probe: order.probe || circuits.wasFailingBefore(.dataverse))
        case .success:
            return completed([order])[0]
        }
    }

    private enum OrderOutcome {
        case delivered(CycleReport.Delivery)
        case failed(CycleReport.Failure)
        case skipped(CycleReport.Skip)
        /// Not tried: a peer it needs is failing and another order is its probe.
        case held(CycleReport.Skip)
        /// The back office has it; its stamp waits for the batch.
        case posted(Posted)
    }

    /// An order the back office accepted, whose stamp goes out in the next `$batch`.
    private struct Posted {
        var transfer: Transfer
        var receipt: OrderReceipt
        var etag: String?
        var started: Date
        var uptime: DispatchTime
        var metadata: Logger.Metadata
        /// Whether the attempt probes a failing peer: its failure is the circuit's to tell.
        var probe: Bool

        /// Milliseconds since the attempt started, on the monotonic clock: a measure for the log, never a decision.
        var elapsed: Int { Int((DispatchTime.now().uptimeNanoseconds - uptime.uptimeNanoseconds) / 1_000_000) }
    }

    private func deliver(_ work: Work) -> OrderOutcome {
        do {
            switch work {
            case .journaled(let transfer):
                return try attempt(transfer, order: nil, claimed: false)
            case .read(let order, let journaled, let claimed):
                if !claimed, let wait = journal.waitReason(journaled, now: clock.now()) {
                    return .skipped(.init(orderNumber: journaled.orderNumber, reason: wait.description))
                }
                return try attempt(journaled, order: order, claimed: claimed)
            }
        } catch {
            logger.error("journal failure; the order will be read again next cycle", metadata: ["dir": "out", "error": "\(error)"])
            return .failed(.init(orderNumber: "(journal)", reason: "\(error)", peerUnavailable: false))
        }
    }

    /// What the circuits say of an attempt, which needs the back office (the POST) and Dataverse (the
    /// stamp). It waits while Dataverse fails (the read and the inbound check probe it, cheaply: a POST
    /// would only be replayed); it probes the back office when that is failing and a probe is due.
    private func admitAttempt() -> PeerCircuit.Admission {
        if let outage = circuits.outage(of: .dataverse) { return .hold(outage) }
        return circuits.admit(.backOffice)
    }

    /// One attempt, unless a peer it needs is failing and this is not its probe: claim the transfer (unless
    /// `claimed` already), send its journaled document, stamp the order, journal the outcome.
    private func attempt(_ transfer: Transfer, order: JSONValue?, claimed: Bool) throws -> OrderOutcome {
        let probe: Bool
        switch admitAttempt() {
        case .go: probe = false
        case .probe: probe = true
        case .hold(let outage):
            let reason = "waits for \(outage.peer.label), unavailable since \(outage.since.formatted(.iso8601))"
            return .held(.init(orderNumber: transfer.orderNumber, reason: reason))
        }
        do {
            return try attempt(transfer, order: order, claimed: claimed, probe: probe)
        } catch {
            if probe { circuits.abandoned(.backOffice) }
            throw error
        }
    }

    /// `probe`: this attempt is the back office's one probe.
    private func attempt(_ transfer: Transfer, order: JSONValue?, claimed isClaimed: Bool, probe: Bool) throws -> OrderOutcome {
        guard let id = transfer.id else { throw JournalError("the journal returned a transfer without id") }
        // A claim taken as the order was journaled is used while its lease holds; one that ran out (a page that waited
        // long for its turn) is taken again, so that no other sopd can have taken the order meanwhile.
        let leaseHolds = isClaimed && (transfer.leaseUntil ?? .distantPast) > clock.now()
        guard let claimed = leaseHolds ? transfer : try journal.beginAttempt(id) else {
            if probe { circuits.abandoned(.backOffice) }
            return .skipped(.init(orderNumber: transfer.orderNumber, reason: "being sent by another sopd process"))
        }
        var metadata: Logger.Metadata = [
            "order": "\(transfer.orderNumber)", "dir": "out", "attempt": .stringConvertible(claimed.attempts),
        ]
        let started = clock.now()
        let uptime = DispatchTime.now()
        let elapsed = { Int((DispatchTime.now().uptimeNanoseconds - uptime.uptimeNanoseconds) / 1_000_000) }
        // The journaled document is sent, not a fresh one: one key, one body, on every attempt. An order
        // that could not become a document is read again (an operator retried it after fixing it); it goes
        // back to the salesperson as a refused one does.
        let document: [UInt8]
        do {
            switch try documentToSend(claimed, order: order) {
            case .success(let sendable): document = sendable
            case .failure(let reason):
                return try recordFailure(
                    claimed,
                    .init(failure: .permanent, reason: reason.description, status: nil, outcome: "permanent: cannot build the document"),
                    peerUnavailable: false, metadata: metadata, started: started, durationMs: elapsed(), probe: false, returnable: true)
            }
        } catch let error as DataverseError {
            circuits.ended(.dataverse, with: [error])
            if error.code == .stopping { return .skipped(.init(orderNumber: claimed.orderNumber, reason: "\(error)")) }
            let failure = FailureClass(error)
            return try recordFailure(
                claimed,
                .init(failure: failure, reason: "reading the order again: \(error)", status: error.status, outcome: "\(failure.label): read \(error.code)"),
                peerUnavailable: error.code == .unavailable, metadata: metadata, started: started, durationMs: elapsed(),
                probe: probe || circuits.wasFailingBefore(.dataverse))
        }
        let returned = backOffice.keepsIdempotencyKeys ? [] : try journal.returnedRemoteIds(orderId: claimed.orderId)
        let receipt: OrderReceipt
        do {
            let submission = OrderSubmission(
                document: document, idempotencyKey: claimed.idempotencyKey, orderNumber: claimed.orderNumber,
                createSentAt: claimed.createSentAt, returnedRemoteIds: returned, beforeCreate: journalCreate(of: claimed))
            receipt = try backOfficeLimit.run { () throws(BackOfficeError) -> OrderReceipt in
                try backOffice.submitOrder(submission)
            } dropped: { (error: BackOfficeError) in
                // A create held back to settle, or for the journal, says nothing of the back office's load.
                guard error.code != .settling, error.code != .unjournaled else { return false }
                if case .retryable = FailureClass(error) { return true } else { return false }
            }
            circuits.succeeded(.backOffice)
        } catch where error.code == .withdrawn {
            if probe { circuits.abandoned(.backOffice) }
            metadata["error"] = "\(error.message)"
            logger.takenOver("this order", metadata: metadata)
            return .skipped(.init(orderNumber: claimed.orderNumber, reason: Logger.takenOverReason))
        } catch {
            switch error.code {
            case .settling: circuits.succeeded(.backOffice)  // the back office answered the lookup
            case .unjournaled: circuits.abandoned(.backOffice)  // the journal failed, not the back office
            default: circuits.ended(.backOffice, with: [error])
            }
            if let status = error.status { metadata["status"] = .stringConvertible(status) }
            metadata["ms"] = .stringConvertible(elapsed())
            let failure = FailureClass(error)
            return try recordFailure(
                claimed,
                .init(
                    failure: failure, reason: error.description, status: error.status,
                    outcome: "\(failure.label): \(error.code)"),
                peerUnavailable: error.code == .unavailable, metadata: metadata, started: started, durationMs: elapsed(),
                probe: probe || circuits.wasFailingBefore(.backOffice), returnable: error.code == .rejected)
        }
        metadata["status"] = .stringConvertible(receipt.status)
        metadata["backoffice_id"] = "\(receipt.orderId)"
        // An ETag that is no header value is not sent: the stamp reads the row's ETag again.
        let etag = order?["@odata.etag"]?.stringValue.flatMap { HTTPHeaders.isValidValue($0) ? $0 : nil }
        let posted = Posted(
            transfer: claimed, receipt: receipt, etag: etag, started: started, uptime: uptime,
            metadata: metadata, probe: probe)
        if settings.batchSize > 1 { return .posted(posted) }
        let stamped = Result { () throws(DataverseError) in
            try stamp(orderId: claimed.orderId, etag: posted.etag, receipt: receipt)
        }
        if case .failure(let error) = stamped { circuits.ended(.dataverse, with: [error]) } else { circuits.succeeded(.dataverse) }
        return try finish(posted, stamped: stamped)
    }

    /// Journals that a create of `transfer` goes out, under its claim, before it goes out (a back office without
    /// idempotency keys): refused once another sopd claimed the transfer, and then nothing is sent.
    private func journalCreate(of transfer: Transfer) -> @Sendable () throws(BackOfficeError) -> Void {
        let journal = journal
        return { () throws(BackOfficeError) in
            do throws(JournalError) {
                try journal.markCreateSent(transfer)
            } catch {
                throw BackOfficeError(
                    code: error.fenced ? .withdrawn : .unjournaled,
                    message: error.fenced ? "\(error)" : "the create was not sent, since the journal cannot record it first (\(error))")
            }
        }
    }

    /// The document a claimed transfer sends, as JSON text: its journaled payload as it is or, when the order could
    /// not be mapped when it was read, the order read again and mapped now (and journaled, when it maps).
    private func documentToSend(_ transfer: Transfer, order: JSONValue?) throws -> Result<[UInt8], OrderMappingError> {
        if !transfer.payload.isEmpty { return .success(Array(transfer.payload.utf8)) }
        let current: JSONValue? =
            if let order { order } else if UUID(uuidString: transfer.orderId) != nil { try fetch([transfer.orderId]).first } else { nil }
        guard let current else {
            return .failure(OrderMappingError(orderNumber: transfer.orderNumber, message: "the order is gone, or no longer waits to be sent"))
        }
        let intake = OrderIntake(current, intake: settings.intake)
        guard let document = intake.document else { return .failure(intake.mappingError!) }
        let text = document.jsonText
        try journal.replacePayload(transfer.id!, with: text)
        return .success(Array(text.utf8))
    }

    /// Journals a failed attempt through the one failure path, logs it, and for a transfer given up
    /// writes the reason into the order.
    /// A probe's failure, or one more failure of a peer already failing (the other attempts in flight
    /// when an outage starts), logs at debug: the peer's circuit tells the operator.
    /// `returnable`: the order may go back to the salesperson when given up (it cannot become a document, or the back
    /// office refused it).
    private func recordFailure(
        _ transfer: Transfer, _ failure: FailureRecorder.Failure, peerUnavailable: Bool, metadata: Logger.Metadata,
        started: Date, durationMs: Int, probe: Bool, returnable: Bool = false
    ) throws -> OrderOutcome {
        let disposition: FailureDisposition
        switch Result(catching: { () throws(JournalError) in try failures.record(failure, of: transfer, started: started, durationMs: durationMs) }) {
        case .success(let recorded): disposition = recorded
        case .failure(let error) where error.fenced:
            var details = metadata
            details["error"] = "\(error)"
            logger.takenOver("this order", metadata: details)
            return .skipped(.init(orderNumber: transfer.orderNumber, reason: Logger.takenOverReason))
        case .failure(let error): throw error
        }
        var details = metadata
        details["error"] = "\(failure.reason)"
        details["class"] = "\(failure.failure.label)"
        switch disposition {
        case .retry(let at):
            details["retry_at"] = "\(at.formatted(.iso8601))"
            logger.log(
                level: probe ? .debug : .warning, "order not delivered; it stays in the journal for a retry", metadata: details)
        case .dead:
            logger.error("order given up: dead in the journal until an operator retries it", metadata: details)
            guard UUID(uuidString: transfer.orderId) != nil else { break }
            deadLetter(transfer, reason: failure.reason, refused: returnable)
        }
        return .failed(.init(orderNumber: transfer.orderNumber, reason: failure.reason, peerUnavailable: peerUnavailable))
    }

    /// Tells the salesperson in Dynamics why the order did not go through; an order the back office
    /// refused as a document goes back to them, since a submitted order is read-only.
    private func deadLetter(_ transfer: Transfer, reason: String, refused: Bool) {
        let returning = refused && settings.returnRefusedOrders
        let changes = OrderChanges.notSent(reason: reason, transferId: transfer.id ?? 0, returning: returning)
        do {
            try dataverse.update(SubmittedOrdersQuery.entitySet, id: transfer.orderId, changes: changes, ifMatch: "*")
            if returning, let id = transfer.id { try journal.markReturned(transferId: id) }
        } catch {
            logger.error(
                "cannot write the reason into the order in Dynamics",
                metadata: ["order": "\(transfer.orderNumber)", "dir": "out", "error": "\(error)"])
        }
    }

    /// Marks the order as received by the back office, guarded by its ETag (read now when the order
    /// came from the journal); after a 412 the row is read again and the stamp retried once, unless
    /// someone else stamped it meanwhile.
    private func stamp(orderId: String, etag: String?, receipt: OrderReceipt) throws(DataverseError) {
        let changes = OrderChanges.stamp(backOfficeId: receipt.orderId, now: clock.now())
        let current: String
        if let etag {
            current = etag
        } else {
            current = try dataverse.retrieve(SubmittedOrdersQuery.entitySet, id: orderId, select: ["salesorderid"])[
                "@odata.etag"]?.stringValue ?? "*"
        }
        do {
            try dataverse.update(SubmittedOrdersQuery.entitySet, id: orderId, changes: changes, ifMatch: current)
        } catch where error.code == .concurrencyConflict {
            let row = try dataverse.retrieve(
                SubmittedOrdersQuery.entitySet, id: orderId, select: ["salesorderid", "lastbackofficesubmit"])
            guard row["lastbackofficesubmit"]?.isNull ?? true else { return }
            try dataverse.update(
                SubmittedOrdersQuery.entitySet, id: orderId, changes: changes, ifMatch: row["@odata.etag"]?.stringValue ?? "*")
        }
    }
}
