import FlyingSocks
import Logging

/// Sends FlyingFox's own log lines to swift-log instead of stdout, at debug: its errors are about single
/// connections (a client hanging up, a stop cancelling a read), and its critical line, the end of the
/// server's run, is `HTTPListener`'s to tell (a bind that failed, or a listener that stopped by itself).
struct FlyingFoxLogBridge: FlyingSocks.Logging {
    let logger: Logger

    func logDebug(_ debug: @autoclosure () -> String) { logger.trace("\(debug())") }
    func logInfo(_ info: @autoclosure () -> String) { logger.trace("\(info())") }
    func logWarning(_ warning: @autoclosure () -> String) { logger.debug("\(warning())") }
    func logError(_ error: @autoclosure () -> String) { logger.debug("\(error())") }
    func logCritical(_ critical: @autoclosure () -> String) { logger.debug("\(critical())") }
}
