import Logging

extension Logger {
    /// The reason a transfer's outcome was not recorded because another sopd claimed it meanwhile.
    static let takenOverReason = "taken over by another sopd"

    /// Says that another sopd took `what` (this order, this event) over after this one's lease ran out, so the journal
    /// refused this one's outcome: the newer claim's stands. A warning: nothing is lost, but this sopd stalled.
    func takenOver(_ what: String, metadata: Metadata) {
        warning("another sopd took \(what) over after this one's lease ran out; its outcome stands", metadata: metadata)
    }
}
