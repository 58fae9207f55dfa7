import Foundation

/// systemd's notification protocol: datagrams such as `READY=1` or `STATUS=…` sent to the socket
/// named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). Absent when sopd does
/// not run under systemd with `Type=notify`.
public final class SystemdNotifier: Sendable {
    private let path: String
    /// Half of `$WATCHDOG_USEC` in seconds, when systemd watches this process: how often to send `WATCHDOG=1`.
    public let watchdogInterval: Double?

    /// The notifier of this process's environment, or nil outside systemd.
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        self.path = path
        let forUs = environment["WATCHDOG_PID"].map { $0 == String(getpid()) } ?? true
        if forUs, let microseconds = environment["WATCHDOG_USEC"].flatMap(Double.init), microseconds > 0 {
            watchdogInterval = microseconds / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends one message of `fields` (`READY=1`, `STATUS=…`); a failure to send is ignored, as
    /// `sd_notify` ignores it.
    public func notify(_ fields: [String]) {
        let message = Array(fields.joined(separator: "\n").utf8)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                message.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, length) }
            }
        }
    }

    /// `MONOTONIC_USEC=` of now, for `RELOADING=1`.
    public static var monotonicMicroseconds: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
    }
}
