import ChildProcess
import Foundation

/// A PostgreSQL server of the test's own, from Debian's postgresql package: a new cluster in a folder owned by the
/// postgres user, listening on one address, trusting the test's subnets, with a `sopd` role owning a `sopd` database.
/// Durability is off (fsync): the server's own crash safety is not what the tests look at.
final class PrivatePostgres: Sendable {
    /// Where it listens.
    let address: String
    /// Its port.
    let port: UInt16
    private let folder: String
    private let binaries: String

    /// The newest installed PostgreSQL's programs, or nil.
    static var binaryFolder: String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.compactMap(Int.init).max().map { "/usr/lib/postgresql/\($0)/bin" }
    }

    /// Makes and starts the cluster.
    init(address: String, trusting subnet: String) throws {
        guard let binaries = Self.binaryFolder else { throw BuiltProcessError(message: "PostgreSQL is not installed: apt-get install postgresql") }
        self.binaries = binaries
        self.address = address
        port = try LoopbackPort.free()
        folder = "/tmp/sopd-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.run("/bin/chown", ["postgres:postgres", folder])
        try asPostgres("initdb", ["-D", "\(folder)/data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        let hba = "\(folder)/data/pg_hba.conf"
        let rules = try String(contentsOfFile: hba, encoding: .utf8) + "host all all \(subnet) trust\n"
        try rules.write(toFile: hba, atomically: false, encoding: .utf8)
        try asPostgres(
            "pg_ctl",
            [
                "-D", "\(folder)/data", "-l", "\(folder)/server.log", "-w", "-t", "60", "start", "-o",
                "-c listen_addresses=\(address) -p \(port) -k \(folder) -c fsync=off -c synchronous_commit=off -c max_connections=200",
            ])
        try asPostgres("psql", ["-X", "-q", "-h", folder, "-p", "\(port)", "-d", "postgres", "-c", "CREATE ROLE sopd LOGIN"])
        try asPostgres("psql", ["-X", "-q", "-h", folder, "-p", "\(port)", "-d", "postgres", "-c", "CREATE DATABASE sopd OWNER sopd"])
    }

    /// The journal URL of the `sopd` database.
    var journalURL: String { "postgres://sopd@\(address):\(port)/sopd?sslmode=disable" }

    /// Stops the server at once and removes its folder.
    func remove() {
        try? asPostgres("pg_ctl", ["-D", "\(folder)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func asPostgres(_ program: String, _ arguments: [String]) throws {
        try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/\(program)"] + arguments)
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let outcome = try BuiltProcess.run(executable, arguments, timeout: 90)
        guard outcome.status == 0 else {
            throw BuiltProcessError(
                message: "\(executable) \(arguments.joined(separator: " ")) failed (\(outcome.status)): \(outcome.standardError) \(outcome.standardOutput)")
        }
    }
}
