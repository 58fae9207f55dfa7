import Foundation

/// This process's CPU time and peak resident set size.
struct Resources {
    var cpuSeconds: Double
    var peakMiB: Double

    static var now: Resources {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
        return Resources(cpuSeconds: cpu, peakMiB: Double(usage.ru_maxrss) / 1024)
    }
}
