#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the pipeline's notion of "now" comes from, in nanoseconds since the Unix epoch.
///
/// The engine never reads a clock itself: the shell around it passes `now` in. Live modes use ``SystemClock``;
/// tests use a manual clock; replay uses the log's own timestamps.
public protocol PipelineClock {
    func now() -> Int64
}

/// The wall clock (`CLOCK_REALTIME`).
public struct SystemClock: PipelineClock, Sendable {
    public init() {}

    public func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
