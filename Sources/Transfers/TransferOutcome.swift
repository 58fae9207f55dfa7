/// How an attempt at a transfer ended, as the journal tallies it for `sopd_transfers_total`.
public enum TransferOutcome: String, Sendable, CaseIterable {
    /// The other side has it: the back office took the order, or Dynamics took the change.
    case delivered
    /// The attempt failed; the transfer waits for its retry.
    case failed
    /// Given up: the transfer waits for an operator.
    case dead

    /// The outcome of an attempt that left its transfer in `state`, or nil for a state no attempt ends in.
    public init?(settledIn state: TransferState) {
        switch state {
        case .done: self = .delivered
        case .failed: self = .failed
        case .dead: self = .dead
        case .pending, .sending: return nil
        }
    }
}
