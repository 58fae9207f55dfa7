import Clocks
import Foundation
import Synchronization
import Transfers

/// The transfer journal. Every transfer is committed before it is sent and its outcome after, so a crash loses
/// nothing and a re-send reuses the key. The journal only stores: what a transition does is `TransferMachine`'s,
/// applied inside the journal's transactions (`Journal+Transitions.swift`), with the time from the injected clock.
/// Its rows live in a `JournalStore`: a SQLite file (one host) or a PostgreSQL database (several hosts); the logic
/// here is the same for both.
public final class Journal: Sendable {
    /// Where the rows are.
    public let store: any JournalStore
    /// Where the journal reads the time of its transitions.
    public let clock: any WallClock
    /// Tells whether the holder of a lease is alive.
    let probe: any LeaseProbe
    /// This process, as leases and attempts name it: `host:pid`.
    public let owner: String
    /// How long a claim or a lease holds unless renewed: how long another host waits before it takes over the work
    /// of one that stopped answering.
    public let leaseSeconds: Double
    private let fencedWrites = Mutex(0)
    /// The transfers this process claimed and has not settled or given back yet: the claims `renewLeases` keeps.
    let inFlight = Mutex<Set<Int64>>([])

    /// A journal on `store`.
    /// - Parameters:
    ///   - store: Where the rows are; opened and migrated.
    ///   - clock: The time of transitions, retries, leases and checkpoints.
    ///   - probe: Tells whether the process holding a lease is alive.
    ///   - owner: This process in leases, `host:pid`.
    ///   - leaseSeconds: How long a claim or a lease holds.
    public init(
        store: any JournalStore, clock: any WallClock = SystemClock(), probe: any LeaseProbe = LocalProcessProbe(),
        owner: String = Journal.processOwner, leaseSeconds: Double = 300
    ) {
        self.store = store
        self.clock = clock
        self.probe = probe
        self.owner = owner
        self.leaseSeconds = leaseSeconds
    }

    /// A journal in the SQLite file at `path` (`SQLiteJournalStore`), created and migrated as needed.
    /// - Throws: `JournalError` naming the file and the cause.
    public convenience init(
        path: String, clock: any WallClock = SystemClock(), probe: any LeaseProbe = LocalProcessProbe(),
        owner: String = Journal.processOwner, leaseSeconds: Double = 300
    ) throws(JournalError) {
        self.init(store: try SQLiteJournalStore(path: path), clock: clock, probe: probe, owner: owner, leaseSeconds: leaseSeconds)
    }

    /// Where the journal is, for messages: its file, or its database's URL without the password.
    public var location: String { store.location }

    /// Runs `body` in a transaction (a SQLite write shares one with other threads' writes).
    func write<T>(_ body: (any JournalConnection) throws -> T) throws(JournalError) -> T {
        do {
            return try store.write(body)
        } catch let error as JournalError {
            if error.fenced { fencedWrites.withLock { $0 += 1 } }
            throw error
        } catch let error as TransitionError {
            if error.fenced { fencedWrites.withLock { $0 += 1 } }
            throw JournalError(error.message, fenced: error.fenced)
        } catch {
            throw JournalError("cannot write \(location): \(error)")
        }
    }

    /// Runs `body` without writing.
    func read<T>(_ body: (any JournalConnection) throws -> T) throws(JournalError) -> T {
        do {
            return try store.read(body)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot read \(location): \(error)")
        }
    }

    /// Writes of this process the journal refused because a newer claim or lease holder exists (fencing).
    public var fencedWritesRefused: Int { fencedWrites.withLock { $0 } }

    /// The schema migrations applied, oldest first, and whether this process can write the journal (`writeProblem`).
    public func schema() throws(JournalError) -> (migrations: [String], writable: Bool) {
        let migrations: [String]
        do {
            migrations = try store.appliedMigrations()
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot read \(location): \(error)")
        }
        return (migrations, writeProblem() == nil)
    }

    /// Why this process cannot write the journal, or nil.
    public func writeProblem() -> String? { store.writeProblem() }
}
