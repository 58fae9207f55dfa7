import ChildProcess
import Foundation
import HTTP
import SopdTestSupport
import Testing

/// The client against `openssl s_server` that demands a client certificate: verification on by
/// default, a CA file to trust a private CA, and a client certificate for mutual TLS.
@Suite(.serialized) struct TLSTests {
    private struct Server {
        let process: BuiltProcess
        let url: String
        let directory: String
    }

    private static func openssl(_ arguments: [String], in directory: String) throws {
        let outcome = try BuiltProcess.run("/usr/bin/openssl", arguments, directory: directory)
        guard outcome.status == 0 else { throw BuiltProcessError(message: "openssl \(arguments[0]) failed: \(outcome.standardError)") }
    }

    /// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA.
    private static func makeCertificates() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sopd-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=sopd test CA"], in: directory)
        for name in ["server", "client"] {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)"], in: directory)
            try "subjectAltName=IP:127.0.0.1\n".write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
            try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext"], in: directory)
        }
        return directory
    }

    private static func startServer() async throws -> Server {
        let directory = try await onDispatchQueue { try makeCertificates() }
        let port = try LoopbackPort.free()
        let process = try BuiltProcess(
            "/usr/bin/openssl",
            [
                "s_server", "-accept", "127.0.0.1:\(port)", "-cert", "server.pem", "-key", "server.key", "-CAfile", "ca.pem",
                "-Verify", "1", "-www", "-quiet",
            ], directory: directory)
        let url = "https://127.0.0.1:\(port)/"
        for _ in 0..<100 {
            let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(probe)
            if connected == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return Server(process: process, url: url, directory: directory)
    }

    @Test func verifiesThePeerTrustsACAFileAndPresentsTheClientCertificate() async throws {
        let server = try await Self.startServer()
        defer {
            server.process.send(SIGTERM)
            _ = try? server.process.waitForExit(timeout: 10)
        }

        let untrusted = await #expect(throws: HTTPError.self) {
            try await HTTPClient().response(for: HTTPRequest(method: .get, url: server.url))
        }
        #expect(untrusted?.code == .tls)

        let withoutCertificate = HTTPClient(configuration: .init(tls: TLSOptions(caFile: "\(server.directory)/ca.pem")))
        await #expect(throws: HTTPError.self) {
            try await withoutCertificate.response(for: HTTPRequest(method: .get, url: server.url))
        }

        let mutual = HTTPClient(
            configuration: .init(
                tls: TLSOptions(
                    caFile: "\(server.directory)/ca.pem", clientCertificateFile: "\(server.directory)/client.pem",
                    clientKeyFile: "\(server.directory)/client.key")))
        let response = try await mutual.response(for: HTTPRequest(method: .get, url: server.url))
        #expect(response.status == 200)
        #expect(response.bodyText.contains("CN=client") || response.bodyText.contains("CN = client"))
    }
}
