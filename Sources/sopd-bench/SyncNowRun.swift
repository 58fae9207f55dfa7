import ChildProcess
import Foundation

/// One `sopd --sync-now`, a separate process: how it ended, how long it took, what it said and measured.
struct SyncNowRun {
    var status: Int32
    var seconds: Double
    var peakMiB: Double
    /// Its one-line summary.
    var summary: String
    /// Its metrics (`--metrics-textfile`).
    var metrics: MetricSamples

    /// Runs `sopd --sync-now` with the configuration at `configPath`.
    init(configPath: String, folder: String) throws {
        let textfile = "\(folder)/sync-now.prom"
        let started = Date()
        let run = try BuiltProcess("sopd", ["--sync-now", "--config", configPath, "--metrics-textfile", textfile])
            .waitForExit(timeout: 3 * 3600)
        seconds = Date().timeIntervalSince(started)
        status = run.status
        peakMiB = run.peakResidentMiB
        summary = run.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
        metrics = MetricSamples((try? String(contentsOfFile: textfile, encoding: .utf8)) ?? "")
        guard status == 0 || status == 1 else { throw BenchError("sopd --sync-now exited \(status): \(run.standardError.suffix(400))") }
    }

    /// The number before `word` in the summary (`10000 delivered`), or 0.
    func count(before word: String) -> Int {
        let words = summary.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" })
        guard let index = words.firstIndex(where: { $0 == word }), index > 0 else { return 0 }
        return Int(words[index - 1]) ?? 0
    }
}
