import Foundation

/// A built executable of this package (`sopd`, `sop-emulator`), or a system command such as `/usr/bin/openssl`,
/// run as a separate process, as ops would run it. Started with `posix_spawn` and reaped with `wait4` here:
/// Foundation's `Process` can miss a child's exit on a busy machine and then spin in `waitUntilExit` for ever, and
/// on Swift 6.3.1 its `run()` crashes now and then in a process with many open descriptors (an over-read in
/// `findMaximumOpenFromProcSelfFD`, swift-corelibs-foundation#5472).
public final class BuiltProcess: @unchecked Sendable {
    /// What a finished process left behind.
    public struct Outcome: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        /// Everything written to stdout.
        public var standardOutput: String
        /// Everything written to stderr.
        public var standardError: String
        /// The peak resident set size of the process, in MiB: the kernel's high-water mark of its memory
        /// (`VmHWM` in `/proc/PID/status`), read every 10 ms while it runs. `wait4`'s `ru_maxrss` is not
        /// used: it also counts the spawning process's memory, which `posix_spawn`'s vfork shares until exec.
        public var peakResidentMiB: Double
    }

    /// The process id.
    public let pid: pid_t
    private let output: FileHandle
    private let errors: FileHandle
    private let lock = NSLock()
    private var exitStatus: Int32?
    private var peakResidentMiB = 0.0

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29 and later), which Swift's Glibc module does not declare.
    private static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
    }

    /// The folder that holds the built products: the one the test bundle itself was built into.
    public static var binaryDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// Starts `product` with `arguments`.
    /// - Parameters:
    ///   - product: A product of this package by name, or an executable by absolute path.
    ///   - environment: Adds to a minimal environment (`PATH`, `HOME`).
    ///   - directory: The working directory; the caller's when nil.
    ///   - input: What the process reads on stdin; `/dev/null` when nil. With an input, this process ignores
    ///     SIGPIPE from then on, so that a child that exits without reading it cannot end the caller.
    public init(
        _ product: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        input: String? = nil
    ) throws {
        let executable = product.hasPrefix("/") ? product : Self.binaryDirectory.appendingPathComponent(product).path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BuiltProcessError(
                message: product.hasPrefix("/")
                    ? "\(executable) is missing: install the package that provides it"
                    : "\(executable) is missing: build it first (make test and make bench do)")
        }
        // Pipe ends are closed on exec, so that children started at the same time by other threads do not hold each
        // other's pipes open (a stdin that never ends, an output that never closes).
        var descriptors: [Int32] = []
        func closeAll() { descriptors.forEach { close($0) } }
        func pipeEnds() throws -> [Int32] {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else {
                closeAll()
                throw BuiltProcessError(message: "cannot create pipes: \(String(cString: strerror(errno)))")
            }
            descriptors += ends
            return ends
        }
        let outPipe = try pipeEnds()
        let errPipe = try pipeEnds()
        let inPipe = input == nil ? nil : try pipeEnds()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let inPipe {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        if let directory {
            guard let addChdir = Self.addChdir, addChdir(&actions, directory) == 0 else {
                closeAll()
                throw BuiltProcessError(message: "cannot start \(executable) in \(directory): this C library cannot change directory in posix_spawn")
            }
        }
        let variables = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { _, new in new }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // Signals start as exec gives them to a fresh process: none blocked, none ignored (the test process ignores
        // SIGTERM for its own signal sources, and a child would inherit that).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            closeAll()
            throw BuiltProcessError(message: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        close(outPipe[1])
        close(errPipe[1])
        if let input, let inPipe {
            close(inPipe[0])
            signal(SIGPIPE, SIG_IGN)
            let writer = FileHandle(fileDescriptor: inPipe[1], closeOnDealloc: true)
            DispatchQueue(label: "test.stdin").async {
                try? writer.write(contentsOf: Data(input.utf8))
                try? writer.close()
            }
        }
        pid = child
        output = FileHandle(fileDescriptor: outPipe[0], closeOnDealloc: true)
        errors = FileHandle(fileDescriptor: errPipe[0], closeOnDealloc: true)
    }

    /// Runs `product` to its end; the parameters are those of `init`. Blocking: call through `onDispatchQueue`.
    public static func run(
        _ product: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        input: String? = nil, timeout: Double = 60
    ) throws -> Outcome {
        try BuiltProcess(product, arguments, environment: environment, directory: directory, input: input)
            .waitForExit(timeout: timeout)
    }

    /// Reads stdout up to `count` lines, for processes that announce themselves. Blocking.
    public func readLines(_ count: Int) -> [String] {
        var buffer = Data()
        while String(decoding: buffer, as: UTF8.self).filter({ $0 == "\n" }).count < count {
            let chunk = output.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Whether the process still runs (it is reaped here once it ended).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// The exit status once the process ended, reaping it; nil while it runs.
    private func reap(blocking: Bool) -> Int32? {
        lock.withLock {
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            let result = wait4(pid, &status, blocking ? 0 : WNOHANG, nil)
            guard result == pid else { return nil }
            let low = status & 0x7f
            exitStatus = low == 0 ? (status >> 8) & 0xff : 128 + low
            return exitStatus
        }
    }

    /// Reads the process's memory high-water mark while it runs (an ended process has none).
    private func sampleHighWater() {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return }
        lock.withLock { peakResidentMiB = max(peakResidentMiB, kibibytes / 1024) }
    }

    /// Waits for the process to end, killing it after `timeout` seconds. Blocking.
    public func waitForExit(timeout: Double = 60) throws -> Outcome {
        let deadline = Date().addingTimeInterval(timeout)
        nonisolated(unsafe) var standardOutput = Data()
        nonisolated(unsafe) var standardError = Data()
        let readers = DispatchGroup()
        DispatchQueue(label: "test.stdout").async(group: readers) { standardOutput = self.output.readDataToEndOfFile() }
        DispatchQueue(label: "test.stderr").async(group: readers) { standardError = self.errors.readDataToEndOfFile() }
        while Date() < deadline {
            sampleHighWater()
            guard isRunning else { break }
            usleep(10_000)
        }
        if isRunning {
            kill(pid, SIGKILL)
            _ = reap(blocking: true)
            throw BuiltProcessError(message: "the process did not exit within \(timeout)s")
        }
        readers.wait()
        let status = reap(blocking: true) ?? -1
        return Outcome(
            status: status, standardOutput: String(decoding: standardOutput, as: UTF8.self),
            standardError: String(decoding: standardError, as: UTF8.self),
            peakResidentMiB: lock.withLock { peakResidentMiB })
    }
}
