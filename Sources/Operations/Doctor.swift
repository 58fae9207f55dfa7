import BackOffice
import Daemon
import Dataverse
import Foundation
import HTTP
import Journal
import Sync
import Transfers

/// `sopd doctor`: checks what sopd needs, one line each, with the fix for each failure. Blocking:
/// run it on a Dispatch queue.
public enum Doctor {
    /// One check's outcome.
    public struct Check: Sendable {
        /// What was checked.
        public var name: String
        /// Whether it passed.
        public var ok: Bool
        /// What was found.
        public var detail: String
        /// What to do, for a failure.
        public var fix: String?

        /// Creates a check's outcome.
        public init(name: String, ok: Bool, detail: String, fix: String? = nil) {
            self.name = name
            self.ok = ok
            self.detail = detail
            self.fix = fix
        }

        /// The line printed.
        public var line: String {
            (ok ? "ok    " : "FAIL  ") + name.padding(toLength: 18, withPad: " ", startingAt: 0) + detail
                + (fix.map { " — fix: \($0)" } ?? "")
        }
    }

    /// Runs every check on a loaded configuration: the journal, Dataverse and WhoAmI, the switch, the
    /// integration user, and the back office.
    public static func checks(_ configuration: SopdConfiguration) -> [Check] {
        var checks: [Check] = []
        do {
            let journal = try configuration.journal.open()
            let schema = try journal.schema()
            checks.append(
                Check(
                    name: "journal", ok: schema.writable,
                    detail: "\(journal.location), schema \(schema.migrations.last.map { "'\($0)'" } ?? "empty") (\(schema.migrations.count) migrations)\(schema.writable ? ", writable" : ", NOT writable")",
                    fix: schema.writable
                        ? nil
                        : configuration.journal.sqlitePath == nil
                            ? "point journal.url at the primary server, and let the sopd role write its database"
                            : "let the sopd user write \(journal.location) and its folder (StateDirectory=sopd does)"))
        } catch {
            checks.append(
                Check(name: "journal", ok: false, detail: "\(error)", fix: configuration.journal.sqlitePath == nil
                        ? "check journal.url, the journal-password credential, and that this host may reach the server"
                        : "check journal.url (or journal.path) and the permissions of its folder"))
        }
        let dataverse = configuration.dataverse.makeClient()
        do {
            let me = try dataverse.whoAmI()
            checks.append(
                Check(
                    name: "dataverse", ok: true,
                    detail: "\(configuration.dataverse.url) answers WhoAmI: user \(me.userId), organization \(me.organizationId)"))
            let settings = try dataverse.organizationSettings()
            checks.append(
                Check(
                    name: "sop switch", ok: settings.isSOPIntegrationEnabled,
                    detail: "issopintegrationenabled is \(settings.isSOPIntegrationEnabled ? "on" : "off")",
                    fix: settings.isSOPIntegrationEnabled ? nil : "sopd sop enable"))
            let user = try dataverse.systemUser(me.userId)
            checks.append(
                Check(
                    name: "integration user", ok: user.isIntegrationUser,
                    detail: "\(user.fullName) (\(user.systemUserId)) is \(user.isIntegrationUser ? "" : "not ")an integration user",
                    fix: user.isIntegrationUser
                        ? nil
                        : "turn on 'Integration user mode' (isintegrationuser) for that user, or set dataverse.impersonate.callerObjectId to an integration user"
                ))
        } catch {
            let fix =
                switch error.code {
                case .credentialsRefused:
                    "check dataverse.clientId, dataverse.tenantId (or dataverse.tokenURL) and the dataverse-clientSecret credential"
                case .unauthorized: "check the token (dataverse-token credential) and the application user's security role"
                default: "check dataverse.url, the network path to it, and its TLS settings"
                }
            checks.append(Check(name: "dataverse", ok: false, detail: "\(error)", fix: fix))
        }
        if configuration.sync.intake != IntakeSettings() {
            checks.append(intakeCheck(configuration, dataverse: dataverse))
        }
        let backOffice = configuration.backOffice.makeAdapter()
        do {
            _ = try backOffice.changes(after: backOffice.initialCursor, limit: 1)
            let how = configuration.backOffice.adapter.name
            checks.append(
                Check(name: "back office", ok: true, detail: "\(configuration.backOffice.url) (\(how)) answers its changes' read and accepts the credentials"))
        } catch {
            let fix =
                error.code == .unauthorized
                ? "check backoffice.auth and its secret (backoffice-token or backoffice-password credential)"
                : "check backoffice.url, the network path to it, and its TLS settings (caFile, client certificate)"
            checks.append(Check(name: "back office", ok: false, detail: "\(error)", fix: fix))
        }
        return checks
    }

    /// Whether Dataverse takes the read of submitted orders with `intake.filter` and the extra columns: one row.
    private static func intakeCheck(_ configuration: SopdConfiguration, dataverse: DataverseClient) -> Check {
        do {
            let page = try dataverse.firstPage(
                SubmittedOrdersQuery.entitySet, query: SubmittedOrdersQuery.query(configuration.sync.intake), pageSize: 1, count: true)
            return Check(
                name: "intake", ok: true,
                detail: "Dataverse takes intake.filter and document.extraColumns: \(page.count.map(String.init) ?? "?") submitted order(s) to send")
        } catch {
            return Check(
                name: "intake", ok: false, detail: "\(error)",
                fix: "correct intake.filter or document.extraColumns: a column they name is not on salesorder (or salesorderdetail)")
        }
    }
}
