import Logging

/// The ERPs' APIs served on loopback in this process, for the mapped adapters: Fabrikam ERP (a fictitious ERP's API,
/// `http-mapping`) and Business Central's API v2.0 (`business-central`). Apart from `EmulatorSuite`, so that tests of
/// contract v1 do not run two more servers each.
public final class ERPEmulators: Sendable {
    /// Fabrikam ERP.
    public let fabrikam: FabrikamERP
    /// Fabrikam ERP's server.
    public let fabrikamServer: EmulatorServer
    /// The Business Central API.
    public let businessCentral: BusinessCentralEmulator
    /// The Business Central server; `BusinessCentralEmulator.companyURL(baseURL:)` is the API root.
    public let businessCentralServer: EmulatorServer

    /// Starts both on free ports of `host`.
    public init(host: String = "127.0.0.1", logger: Logger = Logger(label: "sop-emulator")) async throws {
        let fabrikam = FabrikamERP(logger: logger)
        let businessCentral = BusinessCentralEmulator(logger: logger)
        self.fabrikam = fabrikam
        self.businessCentral = businessCentral
        fabrikamServer = try await EmulatorServer(host: host, port: 0, logger: logger) { request in await fabrikam.handle(request) }
        businessCentralServer = try await EmulatorServer(host: host, port: 0, logger: logger) { request in
            await businessCentral.handle(request)
        }
    }

    /// Stops both servers.
    public func stop() async {
        await fabrikamServer.stop()
        await businessCentralServer.stop()
    }
}
