import Foundation

/// Where a listener binds: an IPv4 or IPv6 literal and a port, written `127.0.0.1:9464` or `[::1]:9464`.
/// Host names are refused: what a name resolves to can change, and a listener must know which interface it opens.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The IP literal, without brackets.
    public var host: String
    /// The port; 0 lets the system pick a free one.
    public var port: UInt16
    /// Whether `host` is an IPv6 literal.
    public var isIPv6: Bool { host.contains(":") }

    /// Creates an address from its parts.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[host]:port`, or says what is wrong with it.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return .failure(ListenAddressError("an IPv6 address is written [address]:port, as [::1]:9464"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                return .failure(ListenAddressError("write the address as ip:port, as 127.0.0.1:9464 (an IPv6 one as [::1]:9464)"))
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText) else {
            return .failure(ListenAddressError("the port must be a number from 0 to 65535"))
        }
        guard !host.isEmpty else {
            return .failure(ListenAddressError("the address has no host; write one, as 127.0.0.1:\(port)"))
        }
        let address = ListenAddress(host: String(host), port: port)
        guard address.isIPLiteral else {
            return .failure(ListenAddressError("\(host) is not an IP address; write one, as 127.0.0.1 (host names are not resolved)"))
        }
        return .success(address)
    }

    /// Whether the host is a valid IPv4 or IPv6 literal.
    private var isIPLiteral: Bool {
        var buffer = in6_addr()
        return host.withCString { inet_pton(isIPv6 ? AF_INET6 : AF_INET, $0, &buffer) } == 1
    }

    /// Whether only this machine can connect: 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        isIPv6 ? host == "::1" : host.split(separator: ".").first == "127"
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why a listen address was refused.
public struct ListenAddressError: Error, CustomStringConvertible, Equatable {
    /// What is wrong and how to write it.
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
