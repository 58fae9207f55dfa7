import Clocks
import Foundation
import Journal

#if PostgreSQL
    import PostgresJournal
#endif

/// Where the journal is and how this process shares it (`journal.*`): a SQLite file of this host, or a PostgreSQL
/// database several hosts share, with the lease every claim and the feed's reader hold.
public struct JournalSettings: Sendable, Equatable {
    /// Where (`journal.url`, or the older `journal.path`).
    public var url: JournalURL
    /// The PostgreSQL role's password (`journal.password`, a secret).
    public var password: String?
    /// How long a claim or the feed's lease holds (`journal.leaseSeconds`): how soon another host takes over the work
    /// of one that stopped answering.
    public var leaseSeconds: Double
    /// How long a PostgreSQL statement or connection attempt may take (`journal.timeoutSeconds`).
    public var timeoutSeconds: Double
    /// This host's name in leases, `sopd status` and the metrics (`journal.hostName`).
    public var hostName: String

    /// Creates settings; the defaults are the shipped ones.
    public init(
        url: JournalURL, password: String? = nil, leaseSeconds: Double = 60, timeoutSeconds: Double = 10,
        hostName: String = LocalProcessProbe.hostName
    ) {
        self.url = url
        self.password = password
        self.leaseSeconds = leaseSeconds
        self.timeoutSeconds = timeoutSeconds
        self.hostName = hostName
    }

    /// A SQLite file at `path`, with the defaults.
    public static func sqlite(_ path: String) -> JournalSettings { JournalSettings(url: .sqlite(path: path)) }

    /// This process in leases: `hostName:pid`.
    public var owner: String { "\(hostName):\(getpid())" }

    /// The SQLite file, when the journal is one.
    public var sqlitePath: String? {
        if case .sqlite(let path) = url { return path }
        return nil
    }

    /// Whether this sopd was built with the PostgreSQL backend (the PostgreSQL package trait, on in every build but
    /// `make demo`'s).
    public static var hasPostgreSQL: Bool {
        #if PostgreSQL
            true
        #else
            false
        #endif
    }

    /// Opens the journal, creating and migrating it as needed.
    /// - Throws: `JournalError` naming the journal and what to do.
    public func open(clock: any WallClock = SystemClock()) throws(JournalError) -> Journal {
        // A process of this machine is checked with kill(pid, 0) only under the machine's own name: under a configured
        // name (several hosts, each its own), a holder of that name could be another machine's, and its lease decides.
        let probe = LocalProcessProbe(localHost: hostName == LocalProcessProbe.hostName ? hostName : nil)
        switch url {
        case .sqlite(let path):
            return Journal(store: try SQLiteJournalStore(path: path), clock: clock, probe: probe, owner: owner, leaseSeconds: leaseSeconds)
        case .postgres(let target):
            #if PostgreSQL
                let store = try PostgresJournalStore(
                    target: target, password: password, timeoutSeconds: timeoutSeconds, applicationName: "sopd \(owner)")
                return Journal(store: store, clock: clock, probe: probe, owner: owner, leaseSeconds: leaseSeconds)
            #else
                throw JournalError(
                    "this sopd was built without the PostgreSQL backend (make demo leaves it out), so it cannot open \(target.description); use the packaged sopd, or build with swift build (the PostgreSQL trait is on by default)")
            #endif
        }
    }
}

extension JournalSettings {
    /// How to write `journal.url`.
    static let urlFix =
        "Set journal.url to sqlite:///var/lib/sopd/journal.sqlite (the default) or postgres://USER@HOST[:PORT]/DATABASE[?sslmode=verify-full&sslrootcert=/etc/sopd/pg-ca.pem], with the password in the journal-password credential."
}
