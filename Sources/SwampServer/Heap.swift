internal import CMalloc

/// glibc malloc settings for the daemon (issue 3: memory under load).
///
/// By default glibc gives each thread that allocates an arena of its own,
/// up to eight per core, and an arena keeps what was freed in it. The
/// daemon's threads (event loops, scan and learning threads, the
/// concurrency pool) all allocate, so every one of them grows an arena
/// that holds on to a scan's worth of memory. Elsewhere than glibc these
/// do nothing.
public enum Heap {
    /// Caps the number of malloc arenas; call before the threads start.
    public static func limitArenas(_ count: Int32) {
        swamp_malloc_limit_arenas(count)
    }

    /// Hands the free pages of every arena back to the system: after the
    /// rules are compiled, the parser's temporaries leave holes that would
    /// otherwise stay resident. Then gives back the pages of code and
    /// constants read from files (the binary, the Swift runtime,
    /// Foundation, Hyperscan's compiler) with MADV_PAGEOUT: loading the
    /// rules runs code a scan never does, and the kernel maps 64 KiB around
    /// every page touched, so megabytes stay mapped that no scan needs;
    /// what scans use is read in again on first use.
    public static func releaseFreeMemory() {
        swamp_malloc_trim()
        _ = swamp_release_clean_file_pages()
    }
}
