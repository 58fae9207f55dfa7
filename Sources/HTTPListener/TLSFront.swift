import CTLSFront

/// TLS terminated in front of a plain-HTTP listener on loopback (C, OpenSSL): the HTTPS of `sop-emulator --tls-cert`
/// and of sopd's webhook receiver. Each connection is relayed to 127.0.0.1:`backendPort`, one thread each, 256 at once
/// at most; the front lives as long as the process.
public struct TLSFront: Sendable {
    /// The port the front listens on.
    public let port: UInt16

    /// Starts the front on the IPv4 address `host`:`port` (0 picks a port) with the PEM certificate chain and key.
    /// - Throws: `TLSFrontError` when the certificate or key cannot be used, or the address cannot be had.
    public init(certificate: String, key: String, host: String = "127.0.0.1", port: UInt16, backendPort: UInt16) throws(TLSFrontError) {
        var message = [CChar](repeating: 0, count: 512)
        let bound = sopd_tls_front_start(certificate, key, host, port, backendPort, &message, message.count)
        guard bound > 0 else {
            throw TLSFrontError(message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.port = UInt16(bound)
    }
}

/// A TLS front (or a self-signed certificate for one) that could not be made; the message says why.
public struct TLSFrontError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public var message: String

    /// Creates an error.
    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}
