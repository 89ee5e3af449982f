/// Where the pipeline's notion of "now" comes from, in nanoseconds since the Unix epoch.
///
/// The engine never reads a clock itself: the shell around it passes `now` in. Live modes use the wall clock (`SystemClock` in WeftIO);
/// tests use a manual clock; replay uses the log's own timestamps.
public protocol PipelineClock {
    func now() -> Int64
}
