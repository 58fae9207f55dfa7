/// The process that claimed a transfer, as `leaseOwner` names it: `host:pid`.
public struct TransferOwner: Sendable, Equatable, CustomStringConvertible {
    /// The host name.
    public var host: String
    /// The process id on that host.
    public var pid: Int32

    /// Creates an owner.
    public init(host: String, pid: Int32) {
        self.host = host
        self.pid = pid
    }

    /// Reads `host:pid`; nil when the text is not of that shape.
    public init?(_ text: String) {
        guard let separator = text.lastIndex(of: ":"), let pid = Int32(text[text.index(after: separator)...]) else {
            return nil
        }
        self.init(host: String(text[..<separator]), pid: pid)
    }

    /// `host:pid`.
    public var description: String { "\(host):\(pid)" }
}
