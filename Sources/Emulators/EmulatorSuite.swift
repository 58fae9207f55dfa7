import Logging

/// Both emulators served on loopback in this process: the Dataverse Web API and the reference back office.
public final class EmulatorSuite: Sendable {
    /// The Dataverse emulator.
    public let dataverse: DataverseEmulator
    /// The reference back office.
    public let backOffice: BackOfficeEmulator
    /// The Dataverse server; its base URL is the organization URL (`/api/data/v9.2` follows it).
    public let dataverseServer: EmulatorServer
    /// The back-office server.
    public let backOfficeServer: EmulatorServer

    /// Starts both emulators with the organization and users seeded.
    /// - Parameters:
    ///   - crmPort: The Dataverse port; 0 picks a free one.
    ///   - backOfficePort: The back-office port; 0 picks a free one.
    ///   - seedDemoData: Whether to add the catalog and the 20 demo orders.
    ///   - sopIntegrationEnabled: The initial value of `issopintegrationenabled`: off, as in Dynamics ("By default,
    ///     sales order processing is turned off", the seed); an administrator turns it on (`sopd sop enable`).
    ///   - host: The IPv4 address both servers listen on: loopback, or another address of this host that other
    ///     network namespaces reach (the failover test's).
    ///   - logger: Where the emulators log.
    public init(
        crmPort: UInt16 = 0, backOfficePort: UInt16 = 0, seedDemoData: Bool = false, sopIntegrationEnabled: Bool = false,
        host: String = "127.0.0.1", logger: Logger = Logger(label: "sop-emulator")
    ) async throws {
        let store = EntityStore()
        try DemoData.seedIdentities(into: store, sopIntegrationEnabled: sopIntegrationEnabled)
        if seedDemoData { try DemoData.seedOrders(into: store) }
        let dataverse = DataverseEmulator(store: store, logger: logger)
        dataverse.register(token: EmulatorIdentities.applicationUserToken, userId: EmulatorIdentities.applicationUserId)
        dataverse.register(token: EmulatorIdentities.salesUserToken, userId: EmulatorIdentities.salesUserId)
        dataverse.register(
            clientId: EmulatorIdentities.applicationClientId, secret: EmulatorIdentities.applicationClientSecret,
            userId: EmulatorIdentities.applicationUserId)
        let backOffice = BackOfficeEmulator(credentials: EmulatorIdentities.backOfficeCredentials, logger: logger)
        self.dataverse = dataverse
        self.backOffice = backOffice
        dataverseServer = try await EmulatorServer(host: host, port: crmPort, logger: logger) { request in
            await dataverse.handle(request)
        }
        backOfficeServer = try await EmulatorServer(host: host, port: backOfficePort, logger: logger) { request in
            await backOffice.handle(request)
        }
    }

    /// Stops both servers.
    public func stop() async {
        await dataverseServer.stop()
        await backOfficeServer.stop()
    }
}
