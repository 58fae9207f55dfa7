/// The idempotency keys of transfers, made and read in one place.
///
/// Outbound, one key per version of an order: the order id, its `submitdate`, and how many earlier
/// versions the back office returned (rejected or deleted). Re-sending the same submission reuses the
/// key; an order that came back and was submitted again gets a new one, even on the same day
/// (`submitdate` may carry only the date). Inbound, one key per back-office event: its id.
public enum TransferKey {
    /// The key of one version of an order on its way out, such as
    /// `out:d1000000-…-001001:2026-11-21T09:01:00Z` (first version) or `…:v2`.
    /// - Parameters:
    ///   - orderId: The `salesorderid`.
    ///   - submitDate: The order's `submitdate`.
    ///   - returnedVersions: How many earlier versions the back office returned.
    public static func outbound(orderId: String, submitDate: String?, returnedVersions: Int = 0) -> String {
        let base = "\(TransferDirection.outbound.rawValue):\(orderId.lowercased()):\(submitDate ?? "unsubmitted")"
        return returnedVersions == 0 ? base : "\(base):v\(returnedVersions + 1)"
    }

    /// The key of applying back-office event `eventId`, such as `in:evt-000042`.
    public static func inbound(eventId: String) -> String {
        "\(TransferDirection.inbound.rawValue):\(eventId)"
    }

    /// The key of a second body journaled under `key` (`TransferMachine.conflictingDuplicate`): the key,
    /// `#`, and a hash of that body, such as `in:evt-000042#8c3f…`.
    public static func conflictingDuplicate(of key: String, payloadHash: UInt64) -> String {
        "\(key)#\(String(payloadHash, radix: 16))"
    }

    /// Whether `key` names a conflicting duplicate.
    public static func isConflictingDuplicate(_ key: String) -> Bool {
        key.contains("#")
    }

    /// The back-office event id an inbound key names, or nil for a key of another shape.
    public static func eventId(inbound key: String) -> String? {
        let prefix = "\(TransferDirection.inbound.rawValue):"
        return key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : nil
    }
}
