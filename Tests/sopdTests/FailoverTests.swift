import ChildProcess
import Daemon
import Dataverse
import Foundation
import HTTP
import JSON
import Journal
import SalesRules
import SopdTestSupport
import Testing
import Transfers

/// Two sopd daemons on two "hosts" (network namespaces) share one PostgreSQL journal on a third, where the emulators
/// run too. While a salesperson submits 1,000 orders and the back office answers each with three events, one daemon
/// is killed (SIGKILL) and started again, the other is cut off from PostgreSQL for longer than a lease and healed,
/// and the first is paused (SIGSTOP) past its lease and resumed. Every order reaches the back office once (a re-send
/// only under its key), every event is applied once, no outcome sent under a claim another host took over is
/// recorded, and each fault's work is taken over within a lease.
@Suite struct FailoverTests {
    static let orders = 1000
    static let rate = 25.0
    static let lease = 5.0

    @Test(.enabled(if: TestNetwork.available && PrivatePostgres.binaryFolder != nil, "needs root, ip (iproute2) and postgresql: run make test as root"))
    func twoHostsOnOnePostgreSQLLoseNothingThroughAKillAPartitionAndAPause() async throws {
        let network = try await onDispatchQueue { try TestNetwork() }
        defer { network.remove() }
        let postgres = try await onDispatchQueue { try PrivatePostgres(address: network.databaseAddress, trusting: "10.231.0.0/16") }
        defer { postgres.remove() }
        // A back office that takes 0.4 s to take an order keeps orders in flight when a fault strikes.
        let emulator = try await EmulatorProcess.start(
            demoData: false, draftOrders: Self.orders, host: network.servicesAddress, orderLatencyMilliseconds: 400)
        let directory = try TemporaryDirectory()
        let daemons = try (0..<2).map { index in
            let config = directory.file("host-\(index).yaml")
            try Self.configuration(emulator: emulator, journal: postgres.journalURL, host: "host-\(index == 0 ? "a" : "b")")
                .write(toFile: config, atomically: true, encoding: .utf8)
            let sopd = BuiltProcess.binaryDirectory.appendingPathComponent("sopd").path
            return try DaemonOnHost(network.command(onHost: index, sopd, ["--config", config]))
        }
        let drive = try await onDispatchQueue {
            try Drive(emulator: emulator, network: network, daemons: daemons, journalURL: postgres.journalURL).run()
        }
        for daemon in daemons { daemon.signal(SIGTERM) }
        let outcomes = try await onDispatchQueue { daemons.map { $0.waitForAll() } }
        let invoices = try await onDispatchQueue { try Self.invoicesByOrder(emulator) }
        _ = try await emulator.stop()

        let logs = outcomes.map { $0.map { $0?.standardError ?? "" }.joined(separator: "\n") }
        for (index, log) in logs.enumerated() { try log.write(toFile: directory.file("host-\(index).log"), atomically: false, encoding: .utf8) }
        let (finished, summary) = (drive.finished, drive.summary)
        #expect(finished, "every order and event went through before the time limit: \(summary)")
        let statuses = outcomes.map { $0.map { $0?.status } }
        #expect(statuses.allSatisfy { $0.last == 0 }, "both daemons stopped cleanly at SIGTERM: \(statuses)")
        #expect(statuses[0].first == 128 + SIGKILL, "host a was killed")

        // Every order reached the back office once; a re-send came under the same key (a replay).
        #expect(drive.received.count == Self.orders, "\(drive.received.count) orders received")
        let byOrder = Dictionary(grouping: drive.received, by: { $0.orderId })
        #expect(byOrder.count == Self.orders && byOrder.values.allSatisfy { $0.count == 1 }, "one received order per order")

        // Every event was applied once: in the journal, and in Dynamics (one invoice per order, every order invoiced).
        let journal = try JournalSettings(url: JournalURL(postgres.journalURL), hostName: "test").open()
        let counts = try journal.countsByDirectionAndState()
        #expect(counts[.outbound] == [.done: Self.orders], "\(counts)")
        #expect(counts[.inbound] == [.done: 3 * Self.orders], "\(counts)")
        #expect(invoices.count == Self.orders && invoices.values.allSatisfy { $0 == 1 }, "one invoice per order")

        // No outcome sent under a claim another host took over was recorded.
        let check = try await onDispatchQueue { try FencingCheck(journal: journal) }
        #expect(check.violations.isEmpty, "\(check.violations.count) violations: \(check.violations.suffix(8))")
        #expect(check.takenOver > 0, "some work was taken over from a host that failed")
        let fencedRefusals = logs.map { $0.components(separatedBy: "lease ran out; its outcome stands").count - 1 }

        // What the struck host was sending was finished by another within a lease (and the cycle that notices it ran
        // out, and the attempt itself: the back office takes 0.4 s). How long an order or event waited overall, and
        // the longest pause in deliveries, also count the backlog and the test's own pace, so they are only reported.
        let takeovers = try Self.takeovers(journal: journal, struck: drive.claimsStruck)
        // A fault waits up to 5 s for its host to hold claims; on a loaded machine it may strike one holding none.
        #expect(takeovers.contains { $0.claims > 0 }, "some fault struck a host holding claims")
        for takeover in takeovers where takeover.claims > 0 {
            #expect(takeover.first <= Self.lease + 10, "\(takeover.fault): the struck host's work went on only \(takeover.first) s later")
            #expect(takeover.last.isFinite, "\(takeover.fault): every claim of the struck host was finished")
        }
        let eventWait = try Self.longestEventWait(journal: journal, posted: drive.eventsPosted)
        let format = { (seconds: Double?) in String(format: "%.1f s", seconds ?? .nan) }
        print(
            "failover (logs in \(directory.path)): \(Self.orders) orders, \(drive.replays) replayed under their key, \(3 * Self.orders) events; \(check.takenOver) transfers claimed more than once; outcomes refused by fencing per host \(fencedRefusals); taken over: \(takeovers.map { "\($0.fault): \($0.claims) claims, the first finished after \(format($0.first)), the last after \(format($0.last))" }); longest pause: deliveries \(format(check.longestGap[.outbound])), events applied \(format(check.longestGap[.inbound])) (lease \(format(Self.lease))); longest wait: order \(format(drive.longestOrderWait)), event \(format(eventWait)); faults at \(drive.faults.map { "\($0.name) +\(String(format: "%.1f", $0.at))s" })"
        )
    }

    private static func configuration(emulator: EmulatorProcess, journal: String, host: String) -> String {
        """
        dataverse:
          url: \(emulator.dataverseURL)
          allowInsecureHTTP: true
          token: sopd-app-token
        backoffice:
          url: \(emulator.backOfficeURL)
          allowInsecureHTTP: true
          token: backoffice-token
        sync:
          intervalSeconds: 1
          probeSeconds: 1
          inboundIntervalSeconds: 1
          retrySweepSeconds: 1
          retry:
            baseSeconds: 0.2
            capSeconds: 2
        journal:
          url: \(journal)
          leaseSeconds: \(lease)
          timeoutSeconds: 2
          hostName: \(host)
        metrics:
          listen: ""
        log:
          level: info

        """
    }

    private static func invoicesByOrder(_ emulator: EmulatorProcess) throws -> [String: Int] {
        let client = DataverseClient(organizationURL: emulator.dataverseURL, http: HTTPClient(), tokens: StaticAccessToken("sopd-app-token"))
        var page = try client.firstPage("invoices", query: DataverseQuery(select: ["_salesorderid_value"]), pageSize: 5000)
        var rows = page.rows
        while let next = page.nextLink {
            page = try client.nextPage(next, pageSize: 5000)
            rows += page.rows
        }
        return Dictionary(grouping: rows.compactMap { $0["_salesorderid_value"]?.stringValue }, by: { $0 }).mapValues(\.count)
    }

    /// For each fault that struck a host holding claims: how many, and how long after the fault the first and the last
    /// of them were finished (by another host, or by the struck one when it came back in time). The first tells how soon
    /// the work went on; the last also counts how long the rest took to send.
    private static func takeovers(journal: Journal, struck: [(fault: String, at: Date, ids: [Int64])]) throws
        -> [(fault: String, claims: Int, first: Double, last: Double)]
    {
        try struck.map { fault in
            var finished: [Double] = []
            for id in fault.ids {
                guard let ok = try journal.attempts(of: id).last(where: { $0.outcome == "ok" }) else { return (fault.fault, fault.ids.count, .infinity, .infinity) }
                finished.append(ok.startedAt.addingTimeInterval(Double(ok.durationMs) / 1000).timeIntervalSince(fault.at))
            }
            return (fault.fault, fault.ids.count, finished.min() ?? .infinity, finished.max() ?? .infinity)
        }
    }

    /// The longest time from an event's post to the end of the attempt that applied it.
    private static func longestEventWait(journal: Journal, posted: [String: Date]) throws -> Double {
        var longest = 0.0
        for (eventId, at) in posted {
            guard let transfer = try journal.transfer(idempotencyKey: TransferKey.inbound(eventId: eventId)), let id = transfer.id,
                let applied = try journal.attempts(of: id).last(where: { $0.outcome == "ok" })
            else { return .infinity }
            longest = max(longest, applied.startedAt.addingTimeInterval(Double(applied.durationMs) / 1000).timeIntervalSince(at))
        }
        return longest
    }
}

/// One daemon of the failover test, started again after a kill; its output is read while it runs (a pipe left full
/// would stop it).
private final class DaemonOnHost: @unchecked Sendable {
    private let command: (String, [String])
    private let lock = NSLock()
    private var process: BuiltProcess?
    private var outcomes: [BuiltProcess.Outcome?] = []
    private let running = DispatchGroup()

    init(_ command: (String, [String])) throws {
        self.command = command
        try start()
    }

    /// Starts the daemon (again).
    func start() throws {
        let started = try BuiltProcess(command.0, command.1)
        lock.withLock { process = started }
        running.enter()
        DispatchQueue(label: "test.daemon").async { [self] in
            let outcome = try? started.waitForExit(timeout: 900)
            lock.withLock { outcomes.append(outcome) }
            running.leave()
        }
    }

    func signal(_ signal: Int32) { lock.withLock { process }?.send(signal) }

    /// How each run ended (nil: it did not end in 15 minutes), once every run ended.
    func waitForAll() -> [BuiltProcess.Outcome?] {
        running.wait()
        return lock.withLock { outcomes }
    }
}

/// The salesperson and the back office of the failover test, and its faults on a timetable.
private struct Drive {
    struct Received {
        var orderId: String
        var backOfficeId: String
    }

    let emulator: EmulatorProcess
    let network: TestNetwork
    let daemons: [DaemonOnHost]
    let journalURL: String
    let salesperson: DataverseClient
    let backOffice: HTTPClient
    let drafts: [String]
    var received: [Received] = []
    var replays = 0
    var submittedAt: [String: Date] = [:]
    var eventsPosted: [String: Date] = [:]
    var longestOrderWait = 0.0
    var faults: [(name: String, at: Double)] = []
    /// The transfers the host a fault struck was sending at that moment.
    var claimsStruck: [(fault: String, at: Date, ids: [Int64])] = []
    var finished = false
    var summary = ""

    init(emulator: EmulatorProcess, network: TestNetwork, daemons: [DaemonOnHost], journalURL: String) throws {
        self.emulator = emulator
        self.network = network
        self.daemons = daemons
        self.journalURL = journalURL
        backOffice = HTTPClient()
        salesperson = DataverseClient(organizationURL: emulator.dataverseURL, http: HTTPClient(), tokens: StaticAccessToken("sales-user-token"))
        var page = try salesperson.firstPage(
            "salesorders", query: DataverseQuery(select: ["salesorderid", "ordernumber"], filter: "statecode eq 0"), pageSize: 5000)
        var rows = page.rows
        while let next = page.nextLink {
            page = try salesperson.nextPage(next, pageSize: 5000)
            rows += page.rows
        }
        drafts = rows.sorted { ($0["ordernumber"]?.stringValue ?? "") < ($1["ordernumber"]?.stringValue ?? "") }
            .compactMap { $0["salesorderid"]?.stringValue }
        guard drafts.count == FailoverTests.orders else { throw BuiltProcessError(message: "the emulator has \(drafts.count) draft orders") }
    }

    /// Submits the orders at the test's rate, answers each received order with its events, and plays the faults;
    /// returns once every order and event went through, or after 5 minutes.
    func run() throws -> Drive {
        var drive = self
        try drive.loop()
        return drive
    }

    private mutating func loop() throws {
        let start = Date()
        let lease = FailoverTests.lease
        let journal = try JournalSettings(url: JournalURL(journalURL), hostName: "test").open()
        // A fault strikes a host while it holds claims (sending transfers), waiting up to 5 s past its time for that.
        let holding = { (host: String) in try journal.hosts().contains { $0.owner.hasPrefix("\(host):") && $0.transfersLeased > 0 } }
        // (when, whose claims it waits for, what, what it does)
        var timetable: [(at: Double, holder: String?, name: String, act: () throws -> Void)] = [
            (6, "host-a", "SIGKILL host a", { [daemons] in daemons[0].signal(SIGKILL) }),
            (8, nil, "host a started again", { [daemons] in try daemons[0].start() }),
            (14, "host-b", "host b cut off from PostgreSQL", { [network] in try network.partitionFromDatabase(host: 1, true) }),
            (14 + lease + 3, nil, "host b healed", { [network] in try network.partitionFromDatabase(host: 1, false) }),
            (28, "host-a", "SIGSTOP host a", { [daemons] in daemons[0].signal(SIGSTOP) }),
            (28 + lease + 3, nil, "SIGCONT host a", { [daemons] in daemons[0].signal(SIGCONT) }),
        ]
        var next = 0
        var lastCheck = Date.distantPast
        var struck = 0.0
        while Date().timeIntervalSince(start) < 150 {
            let now = Date()
            let elapsed = now.timeIntervalSince(start)
            while next < drafts.count, elapsed >= Double(next) / FailoverTests.rate {
                submittedAt[drafts[next]] = Date()
                try salesperson.update("salesorders", id: drafts[next], changes: ["statecode": 1, "statuscode": 3], ifMatch: "*")
                next += 1
            }
            // A fault that waits for claims moves the rest of the timetable with it.
            while let fault = timetable.first, elapsed >= fault.at + struck {
                if let holder = fault.holder, elapsed < fault.at + struck + 5, try !holding(holder) { break }
                timetable.removeFirst()
                if let holder = fault.holder {
                    struck = elapsed - fault.at
                    let held = try journal.transfers(state: .sending, limit: 10_000).filter { $0.leaseOwner?.hasPrefix("\(holder):") == true }
                    claimsStruck.append((fault.name, Date(), held.compactMap(\.id)))
                }
                try fault.act()
                faults.append((fault.name, elapsed))
            }
            try follow()
            if next == drafts.count, timetable.isEmpty, received.count == drafts.count, now.timeIntervalSince(lastCheck) >= 1 {
                lastCheck = now
                let counts = try journal.countsByDirectionAndState()
                summary = "\(received.count) received, journal \(counts)"
                if counts[.inbound]?[.done] == 3 * drafts.count, counts[.outbound]?[.done] == drafts.count {
                    finished = true
                    break
                }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        replays = try allReceived().reduce(0) { $0 + max(($1["deliveries"]?.intValue ?? 1) - 1, 0) }
        if !finished { summary = "\(received.count) received of \(drafts.count), \(eventsPosted.count) events posted; \(summary)" }
    }

    /// The orders the back office received after the first `from`, in the order received.
    private func allReceived(from: Int = 0) throws -> [JSONValue] {
        let listed = try backOffice.perform(
            HTTPRequest(
                method: .get, url: "\(emulator.backOfficeURL)/_admin/orders?from=\(from)", headers: ["Authorization": "Bearer backoffice-token"]))
        return try JSONParser.parse(listed.body)["orders"]?.arrayValue ?? []
    }

    /// The orders the back office received since the last look: each answered with accepted, shipped and invoiced.
    private mutating func follow() throws {
        for order in try allReceived(from: received.count) {
            guard let id = order["id"]?.stringValue, let orderId = order["document"]?["dynamics"]?["salesOrderId"]?.stringValue,
                let submitted = submittedAt[orderId]
            else { throw BuiltProcessError(message: "the back office received an order the test did not submit: \(order.jsonText.prefix(200))") }
            received.append(Received(orderId: orderId, backOfficeId: id))
            longestOrderWait = max(longestOrderWait, Date().timeIntervalSince(submitted))
            for event in [#"{"type":"accepted"}"#, #"{"type":"shipped","complete":true}"#, #"{"type":"invoiced"}"#] {
                let answer = try backOffice.perform(
                    HTTPRequest(
                        method: .post, url: "\(emulator.backOfficeURL)/_admin/orders/\(id)/events",
                        headers: ["Authorization": "Bearer backoffice-token", "Content-Type": "application/json"], body: Array(event.utf8)))
                guard answer.status == 201, let eventId = try JSONParser.parse(answer.body)["id"]?.stringValue else {
                    throw BuiltProcessError(message: "the back office answered \(answer.status) to \(event)")
                }
                eventsPosted[eventId] = Date()
            }
        }
    }
}

/// The journal after the run, read for outcomes recorded under a claim that was not the transfer's latest: every
/// transfer has one successful attempt, made under the claim the row holds, and no two attempts under one claim.
private struct FencingCheck {
    var violations: [String] = []
    /// Transfers claimed more than once (taken over, or retried).
    var takenOver = 0
    /// The longest time, per direction, between two successful attempts' ends: how long the work stood still.
    var longestGap: [TransferDirection: Double] = [:]

    init(journal: Journal) throws {
        var ends: [TransferDirection: [Date]] = [:]
        for transfer in try journal.transfers(limit: 10 * FailoverTests.orders) {
            guard let id = transfer.id else { continue }
            let attempts = try journal.attempts(of: id)
            let ok = attempts.filter { $0.outcome == "ok" }
            for attempt in ok { ends[transfer.direction, default: []].append(attempt.startedAt.addingTimeInterval(Double(attempt.durationMs) / 1000)) }
            if transfer.fence > 1 { takenOver += 1 }
            if ok.count != 1 {
                violations.append(
                    "transfer \(id) (\(transfer.idempotencyKey), \(transfer.state), fence \(transfer.fence)) has \(ok.count) successful attempts: \(attempts.map { "\($0.owner ?? "?")/\($0.fence ?? 0) \($0.outcome) \($0.excerpt ?? "")" }); last error: \(transfer.lastError ?? "none")")
            }
            if let last = ok.last, last.fence != transfer.fence || last.owner == nil {
                violations.append("transfer \(id): its outcome came under claim \(last.fence ?? 0) by \(last.owner ?? "?"), the row's claim is \(transfer.fence)")
            }
            let fences = attempts.compactMap(\.fence)
            if Set(fences).count != fences.count { violations.append("transfer \(id): two outcomes under one claim \(fences)") }
        }
        for (direction, times) in ends {
            let sorted = times.sorted()
            longestGap[direction] = zip(sorted, sorted.dropFirst()).map { $1.timeIntervalSince($0) }.max() ?? 0
        }
    }
}
