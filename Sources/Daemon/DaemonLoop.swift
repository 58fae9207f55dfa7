import Dispatch
import Foundation
import Logging
import Sync

/// The long-running daemon: a Dispatch timer starts a cycle every interval; SIGUSR1 starts one now;
/// SIGTERM and SIGINT let the cycle under way finish, then `run()` returns. Cycles never overlap:
/// the engine runs them one at a time. Timers and signals live on a serial control queue; the
/// caller only waits.
public final class DaemonLoop: @unchecked Sendable {
    private let engine: SyncEngine
    private let interval: Double
    private let logger: Logger
    private let control = DispatchQueue(label: "sopd.control")
    private var sources: [any DispatchSourceProtocol] = []
    private var cycleQueued = false
    private var stopRequested = false
    private var stopped: CheckedContinuation<Void, Never>?

    /// Creates the loop.
    public init(engine: SyncEngine, intervalSeconds: Double, logger: Logger) {
        self.engine = engine
        self.interval = intervalSeconds
        self.logger = logger
    }

    /// Starts the timer and signal handlers and returns once a stop signal was handled.
    public func run() async {
        control.sync {
            let timer = DispatchSource.makeTimerSource(queue: control)
            timer.schedule(deadline: .now(), repeating: interval, leeway: .milliseconds(Int(interval * 50)))
            timer.setEventHandler { [self] in startCycle(reason: "timer") }
            timer.resume()
            sources.append(timer)
            for signalNumber in [SIGTERM, SIGINT, SIGUSR1] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: control)
                source.setEventHandler { [self] in
                    if signalNumber == SIGUSR1 { startCycle(reason: "SIGUSR1") } else { stop(signal: signalNumber) }
                }
                source.resume()
                sources.append(source)
            }
        }
        logger.info("sopd running", metadata: ["interval_s": "\(interval)"])
        await withCheckedContinuation { continuation in
            control.sync {
                if stopRequested { continuation.resume() } else { stopped = continuation }
            }
        }
    }

    /// Queues a cycle unless one is already waiting to start: a burst of triggers makes one cycle.
    private func startCycle(reason: String) {
        guard !cycleQueued else { return }
        cycleQueued = true
        engine.afterCurrentCycle { [self] in control.async { self.cycleQueued = false } }
        engine.startCycle { [self] report in
            logger.notice("\(report.summary)", metadata: ["trigger": "\(reason)"])
        }
    }

    private func stop(signal: Int32) {
        logger.notice("stopping after the cycle under way", metadata: ["signal": "\(signal)"])
        sources.forEach { $0.cancel() }
        engine.afterCurrentCycle { [self] in
            control.async {
                self.stopRequested = true
                self.stopped?.resume()
                self.stopped = nil
            }
        }
    }
}
