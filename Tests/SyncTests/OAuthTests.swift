import Daemon
import Emulators
import Foundation
import SopdTestSupport
import Sync
import Testing

/// OAuth 2.0 client credentials against the emulated identity platform.
@Suite struct OAuthTests {
    private func clientCredentials(_ fixture: SyncFixture, secret: String = EmulatorIdentities.applicationClientSecret)
        -> [String: String]
    {
        var values = fixture.configurationValues([
            "dataverse.clientId": EmulatorIdentities.applicationClientId, "dataverse.clientSecret": secret,
            "dataverse.tokenURL": "\(fixture.suite.dataverseServer.baseURL)/\(EmulatorIdentities.tenantId)/oauth2/v2.0/token",
            "dataverse.pageSize": "5",
        ])
        values["dataverse.token"] = nil
        return values
    }

    @Test func aTokenIsCachedAndATokenThatExpiresMidCycleIsReplacedOnce() async throws {
        let fixture = try await SyncFixture()
        let store = fixture.suite.dataverse.store
        try DemoData.seedCatalog(into: store)
        for number in 1...20 {
            try DemoData.addOrder(to: store, number: 9100 + number, status: .inProgress, lines: [.product(number, quantity: 1)])
        }
        let runtime = try Runtime(
            configuration: ConfigurationLoader.configuration(values: clientCredentials(fixture)), logger: SyncFixture.quietLogger)
        fixture.suite.dataverse.expireIssuedTokens(afterRequests: 3)

        let report = await runtime.engine.runCycle()

        #expect(report.delivered.count == 20)
        #expect(report.failed.isEmpty)
        #expect(report.outcome == .allDone)
        #expect(fixture.suite.dataverse.tokensIssued == 2, "one token, then one more after the first expired mid-cycle")
        await fixture.suite.stop()
    }

    @Test func aWrongSecretIsRefusedWithoutShowingIt() async throws {
        let fixture = try await SyncFixture(seedDemoData: true)
        let runtime = try Runtime(
            configuration: ConfigurationLoader.configuration(values: clientCredentials(fixture, secret: "n0t-the-s3cret")),
            logger: SyncFixture.quietLogger)
        let report = await runtime.engine.runCycle()
        #expect(report.outcome == .credentialsRefused, "a wrong secret is a misconfiguration, not a temporary failure")
        let error = try #require(report.readError)
        #expect(error.code == .credentialsRefused)
        #expect(error.description.contains("AADSTS7000215"))
        #expect(!error.description.contains("n0t-the-s3cret"))
        #expect(fixture.suite.backOffice.receivedOrders.isEmpty)
        await fixture.suite.stop()
    }
}
