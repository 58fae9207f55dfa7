import Foundation

/// The PostgreSQL server the tests of the PostgreSQL journal use: `SOPD_TEST_POSTGRES_URL` and
/// `SOPD_TEST_POSTGRES_PASSWORD`, or what `Tests/Postgres/prepare.sh` (run by `make test`) wrote to `.build/postgres-test/`.
public enum TestPostgres {
    /// Whether the PostgreSQL tests were left out on purpose (`SOPD_TEST_POSTGRES=skip`).
    public static var skipped: Bool { ProcessInfo.processInfo.environment["SOPD_TEST_POSTGRES"] == "skip" }

    /// The server's URL (without a schema) and password, or why there is none.
    public static func server() -> Result<(url: String, password: String?), TestPostgresMissing> {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["SOPD_TEST_POSTGRES_URL"], !url.isEmpty {
            return .success((url, environment["SOPD_TEST_POSTGRES_PASSWORD"]))
        }
        let folder = PackageFiles.path(".build/postgres-test")
        guard let url = try? String(contentsOfFile: folder + "/url", encoding: .utf8) else {
            return .failure(
                TestPostgresMissing(
                    "no PostgreSQL for the tests: run Tests/Postgres/prepare.sh as root (make test does), or set SOPD_TEST_POSTGRES_URL, or SOPD_TEST_POSTGRES=skip"))
        }
        return .success((url.trimmingCharacters(in: .whitespacesAndNewlines), try? String(contentsOfFile: folder + "/password", encoding: .utf8)))
    }

    /// A URL of the test server with a schema of its own (created by the journal when it migrates), so that each
    /// test starts from an empty journal.
    public static func freshSchemaURL() throws -> (url: String, password: String?) {
        let (url, password) = try server().get()
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        return (url + (url.contains("?") ? "&" : "?") + "schema=\(schema)", password)
    }
}

/// No PostgreSQL server is set up for the tests, and what to do.
public struct TestPostgresMissing: Error, CustomStringConvertible {
    /// What to do.
    public var description: String

    init(_ description: String) { self.description = description }
}
