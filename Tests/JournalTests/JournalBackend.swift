import Clocks
import Foundation
import Journal
import SopdTestSupport
import Testing
import Transfers

#if PostgreSQL
    import PostgresJournal
#endif

/// The journal backends the journal's tests run against: every test that takes one runs on both.
enum JournalBackend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// The backends under test: both, unless `SOPD_TEST_POSTGRES=skip`.
    static var tested: [JournalBackend] { TestPostgres.skipped ? [.sqlite] : allCases }

    var testDescription: String { rawValue }

    /// A new, empty place for one test's journal: a file in a new folder, or a schema of its own.
    func place() throws -> JournalPlace {
        switch self {
        case .sqlite: return JournalPlace(location: .sqlite(path: try TemporaryDirectory().file("journal.sqlite")), password: nil)
        case .postgres:
            let (url, password) = try TestPostgres.freshSchemaURL()
            return JournalPlace(location: try JournalURL(url), password: password)
        }
    }
}

/// Where one test's journal is; opened as often as the test likes, as several processes or hosts would.
struct JournalPlace {
    let location: JournalURL
    let password: String?

    func open(
        clock: any WallClock = SystemClock(), probe: any LeaseProbe = LocalProcessProbe(), owner: String = Journal.processOwner,
        leaseSeconds: Double = 300
    ) throws -> Journal {
        Journal(store: try store(), clock: clock, probe: probe, owner: owner, leaseSeconds: leaseSeconds)
    }

    func store() throws -> any JournalStore {
        switch location {
        case .sqlite(let path): return try SQLiteJournalStore(path: path)
        case .postgres(let target):
            #if PostgreSQL
                return try PostgresJournalStore(target: target, password: password)
            #else
                throw JournalError("this build has no PostgreSQL backend (\(target.description))")
            #endif
        }
    }
}
