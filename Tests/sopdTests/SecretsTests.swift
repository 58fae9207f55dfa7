import ChildProcess
import Foundation
import SopdTestSupport
import Testing

/// Marker secrets planted in every credential sopd holds; peers that echo every request back, in every
/// place a peer can (error messages, reasons, excerpts, bodies); then every log format, every command's
/// output and the journal's files (WAL included) are searched for the markers and their encodings.
@Suite struct SecretsTests {
    static let clientSecret = "MARKER-clientsecret-9Q7w"
    static let accessToken = "MARKER-accesstoken-3Z8x"
    static let password = "MARKER-password-4K2v"
    static let organizationId = "0a000000-0000-0000-0000-000000000001"
    static let userId = "0b000000-0000-0000-0000-000000000002"
    static let orderId = "0c000000-0000-0000-0000-000000000003"

    /// Every marker, and the forms in which a peer could echo it.
    static var markers: [String] {
        [clientSecret, accessToken, password]
            + [clientSecret, accessToken, password].map { Data($0.utf8).base64EncodedString() }
            + [Data("sopd:\(password)".utf8).base64EncodedString(), "MARKER"]
    }

    @Test func noSecretReachesALogLineACommandOrTheJournal() async throws {
        let tokenRequest = Locked("")
        let dataverse = try HostilePeer { request in
            let echo = #"Authorization: \#(request.header("Authorization") ?? "") form: \#(tokenRequest.value)"#
                .replacingOccurrences(of: "\"", with: "'")
            switch request.target {
            case let target where target.hasPrefix("/token"):
                tokenRequest.value = String(decoding: request.body, as: UTF8.self)
                return .http(200, #"{"access_token":"\#(Self.accessToken)","expires_in":3600,"token_type":"Bearer"}"#)
            case let target where target.contains("WhoAmI"):
                return .http(200, #"{"UserId":"\#(Self.userId)","BusinessUnitId":"\#(Self.userId)","OrganizationId":"\#(Self.organizationId)"}"#)
            case let target where target.contains("systemusers("):
                return .http(200, #"{"fullname":"sopd","isintegrationuser":true}"#)
            case let target where target.contains("organizations"):
                return .http(200, #"{"value":[{"organizationid":"\#(Self.organizationId)","issopintegrationenabled":true}]}"#)
            case let target where target.contains("salesorders?"):
                return .http(200, #"{"value":[{"salesorderid":"\#(Self.orderId)","ordernumber":"SO-09001","submitdate":"2026-11-20T10:00:00Z","statecode":1}]}"#)
            default:
                return .http(500, #"{"error":{"code":"0x80040216","message":"\#(echo)"}}"#)
            }
        }
        defer { dataverse.stop() }
        let backOffice = try HostilePeer { request in
            let authorization = request.header("Authorization") ?? ""
            return request.target.hasPrefix("/orders")
                ? .http(422, #"{"error":{"message":"refused for \#(authorization)","reasons":["\#(authorization)","\#(request.text.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\r\n", with: " "))"]}}"#)
                : .http(500, request.text)
        }
        defer { backOffice.stop() }

        let directory = try TemporaryDirectory()
        let credentials = try TemporaryDirectory()
        try "\(Self.clientSecret)\n".write(toFile: credentials.file("dataverse-clientSecret"), atomically: true, encoding: .utf8)
        func writeConfig(_ name: String) throws -> String {
            let config = directory.file("\(name).yaml")
            try """
            dataverse:
              url: \(dataverse.url)
              clientId: sopd-app
              tokenURL: \(dataverse.url)/token
            backoffice:
              url: \(backOffice.url)
              auth: basic
              user: sopd
            journal:
              path: \(directory.file("\(name).sqlite"))
            log:
              level: debug
            """.write(toFile: config, atomically: true, encoding: .utf8)
            return config
        }
        let environment = ["CREDENTIALS_DIRECTORY": credentials.path, "SOPD_BACKOFFICE_PASSWORD": Self.password]

        var outputs: [String] = []
        var config = ""
        for format in ["text", "logfmt", "json"] {
            config = try writeConfig(format)
            let file = config
            let run = try await onDispatchQueue {
                try BuiltProcess.run("sopd", ["--sync-now", "--config", file, "--log-format", format], environment: environment)
            }
            #expect(run.status == 1, "the refused order fails the run: \(run.standardError)")
            #expect(run.standardError.contains("order"), "\(format) logs the order")
            outputs += [run.standardOutput, run.standardError]
        }
        #expect(backOffice.requests.contains { $0.target.hasPrefix("/orders") }, "the order reached the echoing back office")
        #expect(dataverse.requests.contains { $0.target.hasPrefix("/token") }, "the token was fetched")
        let commands: [[String]] = [
            ["doctor"], ["status"], ["journal", "list"], ["journal", "list", "--json"], ["journal", "list", "--state", "dead"],
            ["journal", "show", "1"], ["journal", "show", "1", "--json"], ["journal", "show", "2"], ["journal", "show", "2", "--json"],
        ]
        let last = config
        for command in commands {
            let run = try await onDispatchQueue { try BuiltProcess.run("sopd", command + ["--config", last], environment: environment) }
            #expect(run.status != 139 && run.status != 134, "\(command) crashed")
            outputs += [run.standardOutput, run.standardError]
        }
        #expect(outputs.joined().contains("SO-09001"), "the commands show the order")
        #expect(outputs.joined().contains("[redacted]"), "the echoed secrets were there, masked")
        let files = ["text", "logfmt", "json"].flatMap { name in ["", "-wal", "-shm"].map { "\(name).sqlite\($0)" } }.compactMap {
            FileManager.default.contents(atPath: directory.file($0))
        }
        #expect(!files.isEmpty)
        for marker in Self.markers {
            for (index, output) in outputs.enumerated() {
                #expect(!output.contains(marker), "output \(index) shows \(marker):\n\(output)")
            }
            for file in files {
                #expect(file.firstRange(of: Data(marker.utf8)) == nil, "the journal's files hold \(marker)")
            }
        }
    }
}
