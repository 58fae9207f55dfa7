import BackOffice
import Clocks
import Foundation
import JSON
import Journal
import Logging
import PeerText
import Transfers

/// What sopd does with a notification an ERP posts to its webhook (`inbound.webhook` of a mapping): it checks the
/// HMAC-SHA256 signature of the time and body, refuses a notification sent outside the tolerance or received before
/// (a replay, by its id), maps its record to events as a polled record is mapped, and journals them with the
/// notification's receipt in one transaction before it answers `202`: an answer of `202` means the events are
/// durable, and anything else means the ERP must send again. The inbound pipeline applies them as it applies polled
/// ones. Blocking (the journal): run it on a Dispatch queue.
public final class WebhookIntake: Sendable {
    /// An answer: its status and JSON body.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var body: String
    }

    private let webhook: HTTPMapping.Webhook
    private let adapter: HTTPMappingAdapter
    private let journal: Journal
    private let secret: String
    private let logger: Logger
    private let clock: any WallClock

    /// Creates the intake of `adapter`'s webhook; nil when its mapping has none.
    /// - Parameter secret: The secret shared with the ERP (`backoffice.webhook.secret`).
    public init?(adapter: HTTPMappingAdapter, journal: Journal, secret: String, logger: Logger) {
        guard let webhook = adapter.mapping.inbound.webhook else { return nil }
        self.webhook = webhook
        self.adapter = adapter
        self.journal = journal
        self.secret = secret
        self.logger = logger
        clock = journal.clock
    }

    /// The path notifications are posted to.
    public var path: String { webhook.path }

    /// Answers one request.
    /// - Parameter header: The value of a header, by name, without regard to case.
    public func receive(method: String, path: String, header: (String) -> String?, body: [UInt8]) -> Answer {
        guard path == webhook.path else { return Self.answer(404, "not found: notifications go to \(webhook.path)") }
        guard method == "POST" else { return Self.answer(405, "notifications are POSTed") }
        guard let timestamp = header(webhook.timestampHeader), let sent = Double(timestamp), sent.isFinite else {
            return refuse(401, "the \(webhook.timestampHeader) header (Unix seconds) is missing or malformed")
        }
        guard let signature = header(webhook.signatureHeader) else { return refuse(401, "the \(webhook.signatureHeader) header is missing") }
        guard WebhookSignature.isValid(signature, secret: secret, timestamp: timestamp, body: body) else {
            return refuse(401, "the signature does not match the body and time under the shared secret")
        }
        let age = clock.now().timeIntervalSince1970 - sent
        guard abs(age) <= webhook.toleranceSeconds else {
            return refuse(
                401, "the notification was signed \(String(format: "%.0f", age)) s ago, outside the tolerance of \(Int(webhook.toleranceSeconds)) s (a replay, or a clock off)")
        }
        guard let notification = try? JSONParser.parse(body) else { return refuse(400, "the body is not JSON") }
        guard let id = PeerText.identifier(webhook.eventId.text(in: notification)) else {
            return refuse(400, "the notification has no id at \(webhook.eventId) (a printable identifier)")
        }
        guard let record = webhook.record.resolve(in: notification), record.objectValue != nil else {
            return refuse(400, "notification \(id) has no record at \(webhook.record)")
        }
        do {
            var sequence = 0
            let now = clock.now()
            let events = try adapter.events(of: record, webhook.records, at: id, source: "webhook", sequence: &sequence).filter(journal.isAboutSentOrder)
            guard try journal.recordNotification(id: "webhook:\(id)", transfers: events.map { Transfer(event: $0, now: now) }, keepSeconds: keepSeconds) else {
                return refuse(409, "notification \(id) was received already; a replay is not journaled again")
            }
            logger.info(
                "webhook notification journaled", metadata: ["dir": "in", "notification": "\(id)", "events": .stringConvertible(events.count)])
            return Self.answer(202, nil, extra: ["notification": .string(id), "events": .int(events.count)])
        } catch let error as BackOfficeError {
            return refuse(400, "notification \(id) cannot be read: \(error.message)")
        } catch {
            logger.error("cannot journal a webhook notification; the ERP is asked to send it again", metadata: ["dir": "in", "error": "\(error)"])
            return Self.answer(503, "the journal cannot record the notification now; send it again")
        }
    }

    /// How long receipts are kept: well past the tolerance, beyond which a notification is refused by its time anyway.
    private var keepSeconds: Double { max(86_400, webhook.toleranceSeconds * 4) }

    private func refuse(_ status: Int, _ reason: String) -> Answer {
        logger.warning("webhook notification refused", metadata: ["dir": "in", "status": .stringConvertible(status), "reason": "\(reason)"])
        return Self.answer(status, reason)
    }

    private static func answer(_ status: Int, _ error: String?, extra: [String: JSONValue] = [:]) -> Answer {
        var members = extra
        if let error { members["error"] = .string(error) }
        return Answer(status: status, body: JSONValue.object(members).jsonText)
    }
}
