import ChildProcess
import Emulators
import Foundation
import HTTP
import JSON
import SopdTestSupport
import Testing

/// The built `sopd` against Fabrikam ERP (in this process): killed with SIGKILL while a create is on its way, it
/// never makes a second order; as a daemon, it takes Fabrikam's signed notifications over HTTPS and refuses a replay.
@Suite(.serialized) struct MappedBackOfficeProcessTests {
    /// A config for the built sopd against the fixture's Dataverse and Fabrikam, with `mapping` and `more` YAML.
    private static func config(_ fixture: SyncFixture, mapping: String, timeoutSeconds: Int = 30, more: String = "") throws -> String {
        try config(
            fixture,
            backOffice: """
                  adapter: http-mapping
                  mapping: \(mapping)
                  url: \(fixture.erps!.fabrikamServer.baseURL)
                  token: \(FabrikamERP.token)
                  timeoutSeconds: \(timeoutSeconds)
                """, more: more)
    }

    /// A config for the built sopd against the fixture's Dataverse, with `backOffice` under `backoffice:` and `more`.
    private static func config(_ fixture: SyncFixture, backOffice: String, more: String) throws -> String {
        let values = fixture.configurationValues()
        let path = fixture.directory.file("sopd.yaml")
        try """
            dataverse:
              url: \(values["dataverse.url"] ?? "")
              token: \(values["dataverse.token"] ?? "")
            backoffice:
            \(backOffice)
            \(more)
            journal:
              path: \(values["journal.path"] ?? "")
            metrics:
              listen: ""
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The example mapping with `outbound.settleSeconds` set, written beside the journal.
    private static func mapping(_ fixture: SyncFixture, settleSeconds: Int = 120, webhook: Bool = false) throws -> String {
        var text = try PackageFiles.text("docs/examples/fabrikam-erp.yaml").replacingOccurrences(
            of: "settleSeconds: 120", with: "settleSeconds: \(settleSeconds)")
        if webhook { text += try PackageFiles.text("docs/examples/fabrikam-erp-webhook.yaml") }
        let path = fixture.directory.file("mapping.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func until(_ condition: () -> Bool) async throws {
        for _ in 0..<1200 where !condition() { try await Task.sleep(for: .milliseconds(50)) }
    }

    /// The Fabrikam orders of each Dynamics order number.
    private static func references(_ fixture: SyncFixture) -> [String: Int] {
        fixture.erps!.fabrikam.orders.reduce(into: [:]) { counts, order in counts[order["reference"]?.stringValue ?? "?", default: 0] += 1 }
    }

    @Test func aKillWhileTheCreatedOrdersAnswerIsOnItsWayMakesNoSecondOrder() async throws {
        let fixture = try await SyncFixture(erps: true)
        try DemoData.seedSubmittedOrders(3, into: fixture.suite.dataverse.store, withCatalog: true)
        let config = try Self.config(fixture, mapping: try Self.mapping(fixture), more: "sync:\n  maxInFlight: 1\n  adaptiveInFlight: false")
        fixture.erps!.fabrikam.inject(.commitThenHang(seconds: 60))
        let killed = try BuiltProcess("sopd", ["--sync-now", "--config", config])
        try await Self.until { !fixture.erps!.fabrikam.orders.isEmpty }
        #expect(fixture.erps!.fabrikam.orders.count == 1, "the create landed; its answer waits")
        killed.send(SIGKILL)
        _ = try await onDispatchQueue { try killed.waitForExit(timeout: 30) }
        let next = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config]) }
        #expect(next.status == 0, "\(next.standardError.suffix(800))")
        #expect(Self.references(fixture) == ["SO-20001": 1, "SO-20002": 1, "SO-20003": 1], "each order once: the lookup found the landed one")
        #expect(fixture.erps!.fabrikam.createsReceived == 3)
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }

    @Test func aKillWhileBusinessCentralsAnswerIsOnItsWayMakesNoSecondOrder() async throws {
        let fixture = try await SyncFixture(erps: true)
        try DemoData.seedSubmittedOrders(3, into: fixture.suite.dataverse.store, withCatalog: true)
        let base = fixture.erps!.businessCentralServer.baseURL
        let config = try Self.config(
            fixture,
            backOffice: """
                  adapter: business-central
                  url: \(BusinessCentralEmulator.companyURL(baseURL: base))
                  allowInsecureHTTP: true
                  tokenURL: \(BusinessCentralEmulator.tokenURL(baseURL: base))
                  clientId: \(EmulatorIdentities.businessCentralClientId)
                  clientSecret: \(EmulatorIdentities.businessCentralClientSecret)
                """, more: "sync:\n  maxInFlight: 1\n  adaptiveInFlight: false")
        let businessCentral = fixture.erps!.businessCentral
        businessCentral.inject(.commitThenHang(seconds: 60))
        let killed = try BuiltProcess("sopd", ["--sync-now", "--config", config])
        try await Self.until { !businessCentral.salesOrders.isEmpty }
        killed.send(SIGKILL)
        _ = try await onDispatchQueue { try killed.waitForExit(timeout: 30) }
        let next = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config]) }
        #expect(next.status == 0, "\(next.standardError.suffix(800))")
        let numbers = businessCentral.salesOrders.compactMap { $0["externalDocumentNumber"]?.stringValue }.sorted()
        #expect(numbers == ["SO-20001", "SO-20002", "SO-20003"], "each order once in Business Central: the lookup found the landed one")
        #expect(businessCentral.createsReceived == 3)
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }

    @Test func aKillWhileACreateThatNeverLandsIsOnItsWayMakesOneOrderAfterTheSettle() async throws {
        let fixture = try await SyncFixture(erps: true)
        try DemoData.seedSubmittedOrders(1, into: fixture.suite.dataverse.store, withCatalog: true)
        // A create is given the request's time (5 s) and the settle (2 s) to show before it is made anew.
        let config = try Self.config(fixture, mapping: try Self.mapping(fixture, settleSeconds: 2), timeoutSeconds: 5)
        fixture.erps!.fabrikam.inject(.hang(seconds: 60))
        let killed = try BuiltProcess("sopd", ["--sync-now", "--config", config])
        try await Self.until { fixture.erps!.fabrikam.createsReceived == 1 }
        killed.send(SIGKILL)
        _ = try await onDispatchQueue { try killed.waitForExit(timeout: 30) }
        #expect(fixture.erps!.fabrikam.orders.isEmpty)
        var runs = 0
        while Self.references(fixture).isEmpty, runs < 40 {
            runs += 1
            _ = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config]) }
            try await Task.sleep(for: .milliseconds(500))
        }
        let settled = try await onDispatchQueue { try BuiltProcess.run("sopd", ["--sync-now", "--config", config]) }
        #expect(settled.status == 0, "\(settled.standardError.suffix(800))")
        #expect(Self.references(fixture) == ["SO-20001": 1])
        #expect(fixture.erps!.fabrikam.createsReceived == 2, "one create lost, one made after the settle")
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }

    @Test func theDaemonTakesSignedNotificationsOverHTTPSAndRefusesAReplay() async throws {
        let fixture = try await SyncFixture(seedDemoData: true, erps: true)
        let folder = fixture.directory.file("tls")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let made = try await onDispatchQueue {
            try BuiltProcess.run(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(folder)/key.pem", "-out", "\(folder)/cert.pem", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                ])
        }
        #expect(made.status == 0, "\(made.standardError)")
        let port = try LoopbackPort.free()
        let config = try Self.config(
            fixture, mapping: try Self.mapping(fixture, webhook: true),
            more: """
                  webhook:
                    listen: 127.0.0.1:\(port)
                    secret: fabrikam-shared-secret-0123456789
                    tlsCertificate: \(folder)/cert.pem
                    tlsKey: \(folder)/key.pem
                sync:
                  intervalSeconds: 3600
                  inboundIntervalSeconds: 3600
                """)
        let daemon = try BuiltProcess("sopd", ["--config", config])
        try await Self.until { Self.references(fixture).count == 8 }
        #expect(Self.references(fixture).count == 8, "the daemon sent the orders")
        let url = "https://127.0.0.1:\(port)/webhooks/fabrikam"
        let admin = try await HTTPClient().response(
            for: HTTPRequest(
                method: .post, url: "\(fixture.erps!.fabrikamServer.baseURL)/_admin/webhook",
                body: JSONValue.object(["url": .string(url), "secret": "fabrikam-shared-secret-0123456789", "caFile": .string("\(folder)/cert.pem")]).serialized()))
        #expect(admin.status == 201)
        let id = try #require(fixture.erps!.fabrikam.orders.first { $0["reference"] == "SO-01002" }?["id"]?.stringValue)
        fixture.erps!.fabrikam.setStatus(id, "confirmed")
        let accepted = {
            fixture.suite.dataverse.store.rows("salesorder").first { $0["ordernumber"] == "SO-01002" }?["submitstatusdescription"]?.stringValue?
                .contains("Accepted") == true
        }
        try await Self.until(accepted)
        #expect(accepted(), "the notification reached Dynamics without waiting for a poll")
        let deliveries = try JSONParser.parse(
            try await HTTPClient().response(
                for: HTTPRequest(method: .get, url: "\(fixture.erps!.fabrikamServer.baseURL)/_admin/webhook/deliveries")
            ).body)["deliveries"]?.arrayValue ?? []
        let first = try #require(deliveries.first)
        #expect(first["status"] == 202)
        let replay = try await HTTPClient(configuration: HTTPClient.Configuration(tls: TLSOptions(caFile: "\(folder)/cert.pem"))).response(
            for: HTTPRequest(
                method: .post, url: url,
                headers: [
                    "Content-Type": "application/json", "X-Fabrikam-Timestamp": first["timestamp"]?.stringValue ?? "",
                    "X-Fabrikam-Signature": first["signature"]?.stringValue ?? "",
                ], body: Array((first["body"]?.stringValue ?? "").utf8)))
        #expect(replay.status == 409, "a replay of a journaled notification is refused: \(replay.bodyText)")
        daemon.send(SIGTERM)
        let stopped = try await onDispatchQueue { try daemon.waitForExit(timeout: 30) }
        #expect(stopped.status == 0, "\(stopped.standardError.suffix(800))")
        await fixture.suite.stop()
        await fixture.erps?.stop()
    }
}
