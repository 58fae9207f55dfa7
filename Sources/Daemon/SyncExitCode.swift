import Dataverse
import Sync

/// sopd's exit statuses, after sysexits.h.
public enum SyncExitCode: Int32, Sendable {
    /// Everything done.
    case ok = 0
    /// Some transfers failed; they wait in the journal for the next cycle.
    case transfersFailed = 1
    /// A peer could not be reached (EX_UNAVAILABLE).
    case unavailable = 69
    /// An output file could not be written, such as the metrics textfile (EX_CANTCREAT).
    case cannotCreate = 73
    /// A temporary failure; try again later (EX_TEMPFAIL).
    case temporaryFailure = 75
    /// The configuration is missing or wrong (EX_CONFIG).
    case configuration = 78

    /// The status for a cycle's outcome.
    public init(_ outcome: CycleReport.Outcome) {
        switch outcome {
        case .allDone: self = .ok
        case .someFailed: self = .transfersFailed
        case .dataverseUnavailable: self = .unavailable
        case .readFailed: self = .temporaryFailure
        case .inboundRefused, .credentialsRefused: self = .configuration
        }
    }

    /// The status for a failed Dataverse call outside a cycle (`sopd sop …`), as a cycle's read would
    /// give it: 69 unreachable, 78 refused credentials, 75 anything else.
    public init(_ error: DataverseError) {
        self.init(CycleReport.Outcome(readError: error))
    }
}
