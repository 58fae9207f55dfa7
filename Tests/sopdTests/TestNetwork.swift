import ChildProcess
import Foundation

/// Two network namespaces, the failover test's "hosts", each joined to this one by a veth pair: this namespace is the
/// third host, where the emulators listen on `servicesAddress` and PostgreSQL on `databaseAddress` (both on `lo`,
/// reached through each host's default route). Made by the test and removed by `remove()`; needs root and `ip`.
final class TestNetwork: Sendable {
    /// The namespaces' names.
    let hosts: [String]
    /// Where the emulators listen.
    let servicesAddress = "10.231.0.1"
    /// Where PostgreSQL listens.
    let databaseAddress = "10.231.0.2"
    private let tag: String

    /// Whether this machine can make namespaces: root, with `ip`.
    static var available: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip) }

    private static let ip = "/usr/sbin/ip"

    /// Makes the namespaces (`sopdft<pid><n>`), their veth pairs (10.231.N.0/24) and the two service addresses.
    init(hostCount: Int = 2) throws {
        let tag = "\(getpid() % 100_000)"
        self.tag = tag
        hosts = (1...hostCount).map { "sopdft\(tag)-\($0)" }
        try Self.removeLeftovers()
        do {
            for (index, host) in hosts.enumerated() {
                let subnet = "10.231.\(index + 1)"
                let outside = "sft\(tag)o\(index + 1)"
                let inside = "sft\(tag)i\(index + 1)"
                try Self.ip(["netns", "add", host])
                try Self.ip(["link", "add", outside, "type", "veth", "peer", "name", inside])
                try Self.ip(["link", "set", inside, "netns", host])
                try Self.ip(["addr", "add", "\(subnet).1/24", "dev", outside])
                try Self.ip(["link", "set", outside, "up"])
                try Self.ip(["-n", host, "addr", "add", "\(subnet).2/24", "dev", inside])
                try Self.ip(["-n", host, "link", "set", inside, "up"])
                try Self.ip(["-n", host, "link", "set", "lo", "up"])
                try Self.ip(["-n", host, "route", "add", "default", "via", "\(subnet).1"])
            }
            for address in [servicesAddress, databaseAddress] { try Self.ip(["addr", "replace", "\(address)/32", "dev", "lo"]) }
        } catch {
            remove()
            throw error
        }
    }

    /// The command line that runs `executable` with `arguments` in host `index`'s namespace.
    func command(onHost index: Int, _ executable: String, _ arguments: [String]) -> (String, [String]) {
        (Self.ip, ["netns", "exec", hosts[index], executable] + arguments)
    }

    /// Cuts host `index` off from PostgreSQL (its packets to it are dropped), or heals the cut.
    func partitionFromDatabase(host index: Int, _ cut: Bool) throws {
        try Self.ip(["-n", hosts[index], "route", cut ? "add" : "del", "blackhole", "\(databaseAddress)/32"])
    }

    /// Removes the namespaces (their veth pairs go with them) and the service addresses.
    func remove() {
        for host in hosts { try? Self.ip(["netns", "del", host]) }
        for address in [servicesAddress, databaseAddress] { try? Self.ip(["addr", "del", "\(address)/32", "dev", "lo"]) }
    }

    /// Namespaces a failover test that was killed left behind.
    private static func removeLeftovers() throws {
        let listed = try BuiltProcess.run(ip, ["netns", "list"], timeout: 10).standardOutput
        for line in listed.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            if name.hasPrefix("sopdft") { try? Self.ip(["netns", "del", name]) }
        }
    }

    @discardableResult
    private static func ip(_ arguments: [String]) throws -> String {
        let outcome = try BuiltProcess.run(ip, arguments, timeout: 10)
        guard outcome.status == 0 else {
            throw BuiltProcessError(message: "ip \(arguments.joined(separator: " ")) failed (\(outcome.status)): \(outcome.standardError)")
        }
        return outcome.standardOutput
    }
}
