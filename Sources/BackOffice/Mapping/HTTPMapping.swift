import Foundation
import HTTP
import JSON

/// A declarative mapping of sopd onto an ERP's REST API (`backoffice.adapter: http-mapping`): how an order is
/// looked up and created, what the answers mean, and how the ERP's changes come back, by polling or by webhook.
/// Written in YAML, with Mustache templates and JSON Pointers; checked entirely when loaded (`HTTPMapping.load`), so
/// that a mistake stops sopd at start with the line it is on. docs/adapters.md is the reference.
public struct HTTPMapping: Sendable {
    /// A name for logs and errors, such as `Fabrikam ERP`.
    public var name: String
    /// How orders go out.
    public var outbound: Outbound
    /// How changes come back.
    public var inbound: Inbound

    /// One request: its method, URL, headers and body, each a template. A URL starting with `/` follows
    /// `backoffice.url`.
    public struct Request: Sendable {
        public var method: HTTPMethod
        public var url: MappingTemplate
        public var headers: [(name: String, value: MappingTemplate)]
        public var body: MappingTemplate?
    }

    /// The outbound side: a lookup before every create, since the ERP keeps no idempotency keys.
    public struct Outbound: Sendable {
        /// Finds the order the ERP may hold already (by the Dynamics order number, say).
        public var lookup: Lookup
        /// Creates the order.
        public var create: Create
        /// What the create's statuses mean.
        public var answers: StatusClasses
        /// Where an error answer's reason is.
        public var reason: JSONPointer?
        /// After a create whose outcome sopd did not learn (no answer, a timeout, a crash), the seconds the ERP is
        /// given before sopd, finding no order in the lookup, creates it again.
        public var settleSeconds: Double
    }

    /// The lookup: a request, where its answer lists the orders found, and where each one's id is.
    public struct Lookup: Sendable {
        public var request: Request
        /// The list of the orders found (an object is a list of one). Those an earlier, returned version of the order
        /// became are left out; more than one left creates nothing (`ambiguous`).
        public var matches: JSONPointer
        /// Within a match, the order's id.
        public var id: JSONPointer
        /// The statuses that mean no order was found (such as 404), besides an empty list.
        public var none: [ClosedRange<Int>]
    }

    /// The create: a request, and where the new order's id is in its answer.
    public struct Create: Sendable {
        public var request: Request
        public var id: JSONPointer
    }

    /// The inbound side: polled lists, a webhook, or both.
    public struct Inbound: Sendable {
        public var polls: [Poll]
        public var webhook: Webhook?
    }

    /// A list of the ERP's records changed since a cursor (a modification time, a sequence), oldest first.
    public struct Poll: Sendable {
        /// The list's name, in errors and in the cursor (`orders`, `shipments`).
        public var name: String
        /// The request; `{{cursor}}` and `{{limit}}` are set.
        public var request: Request
        /// Where the records are in the answer.
        public var items: JSONPointer
        /// Where a record's cursor value is; the largest read is the next `{{cursor}}`.
        public var cursor: JSONPointer
        /// The cursor before the first poll.
        public var start: String
        /// What a record says.
        public var records: RecordMapping
    }

    /// A receiver of the ERP's signed notifications: an HTTPS endpoint of sopd's.
    public struct Webhook: Sendable {
        /// The path it answers on, such as `/webhooks/erp`.
        public var path: String
        /// The header with the signature: hex HMAC-SHA256 of `<timestamp>.<body>` under the shared secret.
        public var signatureHeader: String
        /// The header with the time of sending, in Unix seconds.
        public var timestampHeader: String
        /// How far the sending time may be from now.
        public var toleranceSeconds: Double
        /// Where the notification's unique id is.
        public var eventId: JSONPointer
        /// Where the record is inside the notification (the whole body when empty).
        public var record: JSONPointer
        /// What the record says.
        public var records: RecordMapping
    }

    /// How a record of the ERP becomes sopd's events: which order it is about, and the rules that say what happened.
    public struct RecordMapping: Sendable {
        /// The ERP's id for the order (the id sopd got back when it created it).
        public var orderId: JSONPointer
        /// The Dynamics order number, when the ERP keeps it.
        public var orderNumber: JSONPointer?
        /// The record's own id, when it has one (a shipment): what tells records apart at one cursor value.
        public var recordId: JSONPointer?
        /// The rules, tried in order; each that matches makes one event.
        public var events: [EventRule]
    }

    /// A rule: when the record's values match, an event of `kind` with the data its template renders.
    public struct EventRule: Sendable {
        /// Values the record must have: at each pointer, one of the texts (booleans are `true` and `false`). A record
        /// polled shows only its latest status, so a rule names every status that implies its event: an order seen
        /// first when shipped was accepted too, and the event made again later is the same event.
        public var when: [(pointer: JSONPointer, values: [String])]
        /// The event's kind.
        public var kind: ChangeEventKind
        /// The event's `data` (contract v1's, by kind), a JSON template over the record.
        public var data: MappingTemplate?

        /// Whether `record` has every value of `when`.
        func matches(_ record: JSONValue) -> Bool {
            when.allSatisfy { condition in
                let text: String? =
                    switch condition.pointer.resolve(in: record) {
                    case .bool(let flag): String(flag)
                    case .string(let text): text
                    case .number(let literal): literal
                    case .null: "null"
                    default: nil
                    }
                return text.map(condition.values.contains) ?? false
            }
        }
    }
}
