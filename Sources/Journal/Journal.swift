import Clocks
import Foundation
import GRDB
import Transfers

/// The transfer journal: a SQLite file in WAL mode, readable by its owner only. Every transfer is
/// committed before it is sent and its outcome after, so a crash loses nothing and a re-send reuses the key.
/// The journal only stores: what a transition does is `TransferMachine`'s, applied inside the
/// journal's transactions (`Journal+Transitions.swift`), with the time from the injected clock.
public final class Journal: Sendable {
    /// The path of the SQLite file.
    public let path: String
    /// Where the journal reads the time of its transitions.
    public let clock: any WallClock
    /// Tells whether the holder of a lease is alive.
    let probe: any LeaseProbe
    private let database: DatabasePool
    let commits: GroupCommit

    /// Opens the journal at `path`, creating it (mode 0600) and migrating its schema as needed.
    /// - Parameters:
    ///   - path: The SQLite file.
    ///   - clock: The time of transitions, retries and checkpoints.
    ///   - probe: Tells whether the process holding a lease is alive.
    /// - Throws: `JournalError` naming the file and the cause.
    public init(path: String, clock: any WallClock = SystemClock(), probe: any LeaseProbe = LocalProcessProbe())
        throws(JournalError)
    {
        self.path = path
        self.clock = clock
        self.probe = probe
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw JournalError("cannot create the folder \(directory): \(error.localizedDescription); check its permissions")
        }
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw JournalError("cannot open \(path): \(String(cString: strerror(errno))); check the path and its permissions")
        }
        close(descriptor)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "sopd.journal"
        database = try Self.openPool(path: path, configuration: configuration)
        commits = GroupCommit(database)
    }

    /// Opens and migrates the pool while holding an exclusive lock on `<journal>.lock`: two sopd
    /// starting on one journal (the daemon and a `--sync-now`) would otherwise both see it
    /// unmigrated. Switching a new file to WAL takes a lock SQLite's busy timeout does not wait for,
    /// so a busy answer is retried for 10 s (on the monotonic clock: this is no decision of the data path).
    private static func openPool(path: String, configuration: Configuration) throws(JournalError) -> DatabasePool {
        let lockFile = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFile >= 0 else {
            throw JournalError("cannot create \(path).lock: \(String(cString: strerror(errno))); check the folder's permissions")
        }
        defer { close(lockFile) }
        flock(lockFile, LOCK_EX)
        defer { flock(lockFile, LOCK_UN) }
        let deadline = DispatchTime.now() + .seconds(10)
        while true {
            do {
                let database = try DatabasePool(path: path, configuration: configuration)
                try JournalMigrations.migrator.migrate(database)
                return database
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && DispatchTime.now() < deadline {
                usleep(20_000)
            } catch {
                throw JournalError("cannot open \(path) as a journal: \(error)")
            }
        }
    }

    /// Runs `body` in a transaction shared with the writes other threads make meanwhile (`GroupCommit`).
    func write<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            var result: T?
            try commits.write { db in result = try body(db) }
            guard let result else { throw JournalError("cannot write \(path): the write did not run") }
            return result
        } catch let error as JournalError {
            throw error
        } catch let error as TransitionError {
            throw JournalError(error.message)
        } catch {
            throw JournalError("cannot write \(path): \(error)")
        }
    }

    /// Runs `body` on a snapshot of the journal.
    func read<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw JournalError("cannot read \(path): \(error)")
        }
    }

    /// The schema migrations applied to the file, oldest first, and whether this process can write it (`writeProblem`).
    public func schema() throws(JournalError) -> (migrations: [String], writable: Bool) {
        let migrations = try read { db in try JournalMigrations.migrator.appliedMigrations(db) }
        return (migrations, writeProblem() == nil)
    }

    /// Why this process cannot write the journal, or nil: the file and its folder (where SQLite keeps the
    /// write-ahead log) must both be writable.
    public func writeProblem() -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        if access(path, W_OK) != 0 { return "\(path) is not writable: \(String(cString: strerror(errno)))" }
        if access(folder.isEmpty ? "." : folder, W_OK) != 0 {
            return "the folder \(folder) is not writable: \(String(cString: strerror(errno)))"
        }
        return nil
    }
}
