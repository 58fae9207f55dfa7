import CCurl
import CCurlShim
import Foundation

/// Drives one curl multi handle on a thread of its own: transfers added from any thread run
/// concurrently, share the multi handle's connection cache (so connections are reused), and
/// complete on this thread. Nothing here blocks a Swift-concurrency thread.
final class CurlMultiLoop: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var queued: [CurlTransfer] = []
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)

    init(maxConnectionsPerHost: Int) {
        CurlMultiLoop.initializeCurlOnce
        multi = curl_multi_init()
        sopd_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        let thread = Thread { [self] in run() }
        thread.name = "sopd.curl"
        thread.start()
    }

    private static let initializeCurlOnce: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    /// Queues a transfer; it starts on the loop thread at once.
    func add(_ transfer: CurlTransfer) {
        lock.lock()
        queued.append(transfer)
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    /// Stops the loop after failing nothing: transfers still in flight complete first.
    func shutdown() {
        lock.lock()
        stopping = true
        lock.unlock()
        curl_multi_wakeup(multi)
        stopped.wait()
        curl_multi_cleanup(multi)
    }

    private func run() {
        while true {
            lock.lock()
            let incoming = queued
            queued.removeAll()
            let stop = stopping
            lock.unlock()
            for transfer in incoming {
                active[transfer.easy] = transfer
                curl_multi_add_handle(multi, transfer.easy)
            }
            if stop && active.isEmpty { break }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            completeFinishedTransfers()
            curl_multi_poll(multi, nil, 0, active.isEmpty ? 10_000 : 1_000, nil)
        }
        stopped.signal()
    }

    private func completeFinishedTransfers() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            guard let transfer = active.removeValue(forKey: easy) else { continue }
            transfer.completion(transfer.finish(code: code))
        }
    }
}
