import CTLSFront
import Foundation

/// The HTTPS side of `sop-emulator --tls-cert/--tls-key`: TLS terminated on 127.0.0.1 with the given
/// certificate, each connection relayed to the Dataverse emulator's plain-HTTP listener (C, OpenSSL).
struct TLSFront {
    /// The port the front listens on.
    let port: UInt16

    /// Starts the front on `port` (0 picks one), relaying to 127.0.0.1:`backendPort`.
    /// - Throws: `ValidationError`-style text naming the flag when the certificate or key cannot be used,
    ///   or the port cannot be had.
    init(certificate: String, key: String, port: UInt16, backendPort: UInt16) throws {
        var message = [CChar](repeating: 0, count: 512)
        let bound = sopd_tls_front_start(certificate, key, port, backendPort, &message, message.count)
        guard bound > 0 else {
            throw TLSFrontError(message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.port = UInt16(bound)
    }
}
