import ChildProcess
import Foundation
import HTTPListener

/// A certificate for `localhost` and 127.0.0.1 that signs itself, so it is its own certificate authority:
/// clients trust it by naming `certificate` as their CA file. Made with the `openssl` command.
struct SelfSignedCertificate {
    /// The certificate, PEM; also the CA file clients trust.
    let certificate: String
    /// Its private key, PEM, readable by the owner only.
    let key: String

    /// Makes a new key and certificate, valid 30 days, in `folder`.
    /// - Throws: `TLSFrontError` when `openssl` is missing or fails, with its message.
    init(in folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        certificate = "\(folder)/sop-emulator-ca.pem"
        key = "\(folder)/sop-emulator-key.pem"
        let made: BuiltProcess.Outcome
        do {
            made = try BuiltProcess.run(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-keyout", key, "-out", certificate,
                ])
        } catch {
            throw TLSFrontError(message: "--tls-self-signed needs the openssl command (apt-get install openssl): \(error)")
        }
        guard made.status == 0 else {
            throw TLSFrontError(message: "openssl could not make a certificate: \(made.standardError.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
