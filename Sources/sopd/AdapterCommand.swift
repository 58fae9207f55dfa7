import ArgumentParser
import Clocks
import Daemon
import Dataverse
import Foundation
import HTTP
import Logging
import Sync

/// `sopd adapter test --order SO-…`: what delivering one real order would send to the back office, rendered through
/// the configured adapter (a mapping's templates included), without sending anything.
struct AdapterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapter", abstract: "Try the configured back-office adapter without sending anything.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read one order from Dynamics and print the requests the adapter would send for it; nothing is sent.",
            discussion: "Exits 0 when every request renders, 65 when the order cannot become a document or a request, 66 when Dynamics has no such order.")
        @OptionGroup var options: ConfigurationOption
        @Option(name: .customLong("order"), help: "The Dynamics order number, such as SO-01001.")
        var order: String

        func run() async throws {
            let configuration = try await options.load()
            Runtime.bootstrapLogging(level: "critical")
            let logger = Logger(label: "sopd")
            let dataverse = configuration.dataverse.makeClient()
            let adapter = configuration.backOffice.makeAdapter()
            let journal = try? configuration.journal.open(clock: SystemClock())
            let number = order
            let result: Result<OrderPreview, OrderPreview.Failure> = await withCheckedContinuation { continuation in
                DispatchQueue(label: "sopd.adapter-test").async {
                    continuation.resume(
                        returning: Result { () throws(OrderPreview.Failure) in
                            try OrderPreview.make(
                                orderNumber: number, dataverse: dataverse, adapter: adapter, settings: configuration.sync, journal: journal,
                                logger: logger)
                        })
                }
            }
            let preview: OrderPreview
            switch result {
            case .success(let made): preview = made
            case .failure(.dataverse(let error)):
                FileHandle.standardError.write(Data("sopd: \(error)\n".utf8))
                throw ExitCode(SyncExitCode(error).rawValue)
            case .failure(let failure):
                FileHandle.standardError.write(Data("sopd: \(failure)\n".utf8))
                throw ExitCode(66)
            }
            print("backoffice.adapter: \(configuration.backOffice.adapter.name); order \(order) (\(preview.state)); nothing is sent")
            print("idempotency key: \(preview.idempotencyKey)")
            guard case .success = preview.document else {
                if case .failure(let error) = preview.document { print("the order cannot become a document: \(error)") }
                throw ExitCode(65)
            }
            switch preview.requests {
            case .success(let requests):
                for (index, step) in requests.enumerated() {
                    print("")
                    print("\(index + 1). \(step.purpose)")
                    print(Self.text(step.request))
                }
            case .failure(let error):
                print("the adapter cannot render the order's requests: \(error)")
                throw ExitCode(65)
            case nil:
                throw ExitCode(65)
            }
        }

        /// A request as it goes on the wire, the credentials left out.
        private static func text(_ request: HTTPRequest) -> String {
            var lines = ["\(request.method.rawValue) \(request.url)"]
            for field in request.headers { lines.append("\(field.name): \(field.value)") }
            lines.append("Authorization: (from backoffice.auth; not shown)")
            if let body = request.body, !body.isEmpty {
                lines.append("")
                lines.append(String(decoding: body, as: UTF8.self))
            }
            return lines.joined(separator: "\n")
        }
    }
}
