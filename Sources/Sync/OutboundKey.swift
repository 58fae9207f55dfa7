/// The idempotency key of one version of an order on its way out. A version is one submission:
/// the key is the order id plus its `submitdate`, so re-sending the same submission reuses the key
/// and a resubmitted order (a new `submitdate`) gets a new one.
public enum OutboundKey {
    /// The key, such as `out:d1000000-…-001001:2026-11-21T09:01:00Z`.
    public static func make(orderId: String, submitDate: String?) -> String {
        "out:\(orderId.lowercased()):\(submitDate ?? "unsubmitted")"
    }
}
