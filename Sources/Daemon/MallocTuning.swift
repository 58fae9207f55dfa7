import CMallocTuning

/// How sopd keeps glibc's heap small. glibc gives each thread that meets a busy heap an arena of its own, up
/// to eight per core, and the memory freed in one is not given back while another part of it is in use: with
/// 32 back-office workers, a 10,000-order run peaked at 173 MiB instead of 89 MiB with two arenas, no slower
/// (docs/performance.md). Freed memory left at the top of a heap is given back after a busy cycle.
public enum MallocTuning {
    /// The arenas sopd's heap is spread over.
    public static let arenas: Int32 = 2

    /// Caps the arenas; call it first thing, before the worker threads start.
    public static func limitArenas() {
        _ = sopd_malloc_limit_arenas(arenas)
    }

    /// Gives the heap's free memory back to the kernel, as after a cycle that moved orders.
    public static func releaseFreeMemory() {
        _ = sopd_malloc_trim()
    }
}
