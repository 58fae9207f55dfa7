import Foundation
import GRDB

/// The journal in a SQLite file in WAL mode, readable by its owner only: the embedded default, for one host.
/// Writes from many threads share transactions (`GroupCommit`); statements are compiled once per connection.
public final class SQLiteJournalStore: JournalStore {
    /// The path of the SQLite file.
    public let path: String
    private let database: DatabasePool
    private let commits: GroupCommit

    /// Opens the file at `path`, creating it (mode 0600, its folder 0700) and migrating its schema as needed.
    /// - Throws: `JournalError` naming the file and the cause.
    public init(path: String) throws(JournalError) {
        self.path = path
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
                try SQLiteMigrations.migrator.migrate(database)
                return database
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && DispatchTime.now() < deadline {
                usleep(20_000)
            } catch {
                throw JournalError("cannot open \(path) as a journal: \(error)")
            }
        }
    }

    /// The file's path.
    public var location: String { path }

    /// SQLite.
    public var dialect: JournalDialect { .sqlite }

    /// Runs `body` in a transaction shared with the writes other threads make meanwhile (`GroupCommit`).
    public func write<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        var result: T?
        try commits.write { db in result = try body(SQLiteConnection(db: db)) }
        guard let result else { throw JournalError("cannot write \(path): the write did not run") }
        return result
    }

    /// Runs `body` on a snapshot of the file.
    public func read<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try database.read { db in try body(SQLiteConnection(db: db)) }
    }

    /// The migrations applied to the file, oldest first.
    public func appliedMigrations() throws -> [String] {
        try database.read { db in try SQLiteMigrations.migrator.appliedMigrations(db) }
    }

    /// Why this process cannot write the file, or nil: the file and its folder (where SQLite keeps the
    /// write-ahead log) must both be writable.
    public func writeProblem() -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        if access(path, W_OK) != 0 { return "\(path) is not writable: \(String(cString: strerror(errno)))" }
        if access(folder.isEmpty ? "." : folder, W_OK) != 0 {
            return "the folder \(folder) is not writable: \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// The database file and its write-ahead log.
    public func sizeOnDisk() -> Int64? {
        [path, path + "-wal"].reduce(0) { total, file in
            var status = stat()
            return total + (stat(file, &status) == 0 ? Int64(status.st_size) : 0)
        }
    }

    /// Writes committed since the file was opened.
    public var writesCommitted: Int { commits.committed }
}
