import Foundation

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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext", "basicConstraints=critical,CA:TRUE", "-keyout", key, "-out", certificate,
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw TLSFrontError(message: "--tls-self-signed needs the openssl command (apt-get install openssl): \(error)")
        }
        let detail = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TLSFrontError(message: "openssl could not make a certificate: \(detail.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
