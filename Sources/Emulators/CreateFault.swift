import JSON

/// What the next creates of an ERP emulator meet (Fabrikam ERP, Business Central): how tests put a crash, a timeout
/// or a refusal between sopd's lookup and its create.
public enum CreateFault: Sendable, Equatable {
    /// Answer with this status and an error body, creating nothing.
    case status(Int)
    /// Store the order, then answer only after this many seconds: the create landed, its answer is late.
    case commitThenHang(seconds: Double)
    /// Answer 503 after this many seconds, creating nothing.
    case hang(seconds: Double)

    /// Reads `{"kind": "status" | "hang" | "commitThenHang", "status", "seconds"}` (`POST /_admin/faults`).
    init?(_ json: JSONValue) {
        let seconds = json["seconds"]?.numberText.flatMap(Double.init) ?? 30
        switch json["kind"]?.stringValue {
        case "status": self = .status(json["status"]?.intValue ?? 503)
        case "hang": self = .hang(seconds: seconds)
        case "commitThenHang": self = .commitThenHang(seconds: seconds)
        default: return nil
        }
    }
}
