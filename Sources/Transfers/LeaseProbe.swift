/// Tells whether the process that holds a lease still lives, as far as this host can see.
public protocol LeaseProbe: Sendable {
    /// Whether `owner` is alive: true or false when this host can check (it is one of its processes),
    /// nil when it cannot (another host), and the lease's end decides.
    func isAlive(_ owner: TransferOwner) -> Bool?
}
