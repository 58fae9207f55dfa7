import Foundation
import PeerText
import Sync
import Transfers

/// Whether sopd can do its job now, check by check, for `/readyz`: its configuration, its journal,
/// Dataverse (answering, sopd acting as an integration user, the switch on) and the back office
/// (answering). It is read from what sopd learned on its last requests, so that a probe never adds a
/// request to a peer's limits nor waits for one.
public struct ReadinessReport: Sendable, Equatable {
    /// One check and what is wrong, if anything.
    public struct Check: Sendable, Equatable {
        /// `configuration`, `journal`, `dataverse` or `backoffice`.
        public var name: String
        /// What is wrong, or nil when the check passes.
        public var problem: String?
    }

    /// Every check, in order.
    public var checks: [Check]

    /// Whether every check passes.
    public var isReady: Bool { checks.allSatisfy { $0.problem == nil } }

    /// The checks of a running daemon.
    /// - Parameters:
    ///   - journalProblem: Why the journal cannot be written (`Journal.writeProblem()`), or nil.
    ///   - health: What the engine knows of its peers.
    public init(journalProblem: String?, health: EngineHealth) {
        func outage(of peer: Peer) -> String? {
            health.outages.first { $0.peer == peer }.map {
                "unavailable since \($0.since.formatted(.iso8601)) after \($0.failures) failures: \($0.lastError)"
            }
        }
        let access: String? =
            switch health.accessRefusal {
            case nil: "not checked yet: the first inbound cycle is under way"
            case "": nil
            case let refusal?: refusal
            }
        checks = [
            Check(name: "configuration", problem: nil),
            Check(name: "journal", problem: journalProblem),
            Check(name: "dataverse", problem: outage(of: .dataverse) ?? access),
            Check(name: "backoffice", problem: outage(of: .backOffice)),
        ]
    }

    /// `{"status":"ready","checks":{…}}`, or `"not ready"` with `"failed"` naming the checks that failed;
    /// each problem cut to 300 characters.
    public var json: String {
        var object = "{\"status\":\"\(isReady ? "ready" : "not ready")\""
        let failed = checks.filter { $0.problem != nil }.map { "\"\($0.name)\"" }
        if !failed.isEmpty { object += ",\"failed\":[\(failed.joined(separator: ","))]" }
        let fields = checks.map { check in
            "\"\(check.name)\":" + (check.problem.map { PeerText.jsonQuoted(PeerText.clean($0, limit: 300)) } ?? "\"ok\"")
        }
        return object + ",\"checks\":{\(fields.joined(separator: ","))}}"
    }
}
