import Foundation
import Transfers

/// Checks lease holders of this host with `kill(pid, 0)`; of another host it cannot tell.
public struct LocalProcessProbe: LeaseProbe {
    /// This host's name, as lease owners carry it.
    public static let hostName: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        return String(cString: name)
    }()

    /// The name this host's processes carry in leases, or nil when the probe checks none (every lease then decides).
    public let localHost: String?

    /// Creates the probe for the processes named `localHost` in leases; nil checks none.
    public init(localHost: String? = LocalProcessProbe.hostName) { self.localHost = localHost }

    /// Whether a process of this host is alive (`kill(pid, 0)`); nil for another host's.
    public func isAlive(_ owner: TransferOwner) -> Bool? {
        guard let localHost, owner.host == localHost else { return nil }
        return kill(owner.pid, 0) == 0 || errno == EPERM
    }
}
