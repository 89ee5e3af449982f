import WeftCore
import WeftIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An output that, in `replay --speed`, holds each record back until its time has come (scaled); otherwise passes
/// records straight through.
struct PacedOutput<Base: RecordOutput>: RecordOutput {
    var base: Base
    var pacing: Pacing?

    mutating func write(_ record: Record) throws(Base.Failure) {
        if pacing != nil, let wait = pacing!.delay(for: record.observedTime) {
            try base.flush()
            pacing!.sleep(wait)
        }
        try base.write(record)
    }

    mutating func describe(_ source: SourceID, as info: SourceInfo) throws(Base.Failure) {
        try base.describe(source, as: info)
    }

    mutating func release(_ source: SourceID) { base.release(source) }

    mutating func flush() throws(Base.Failure) { try base.flush() }
}

/// `--speed`: records leave at the pace their lines were written, scaled.
struct Pacing {
    let speed: Double
    /// A signal cuts a wait short.
    let signals: SignalSource
    private var firstLogTime: Int64?
    private var startWall: Int64 = 0

    init(speed: Double, signals: SignalSource) {
        self.speed = speed
        self.signals = signals
    }

    /// How long to wait before writing a record that started at `logTime`, or nil.
    mutating func delay(for logTime: Int64) -> Int64? {
        let wall = SystemClock().now()
        guard let first = firstLogTime else {
            firstLogTime = logTime
            startWall = wall
            return nil
        }
        let due = startWall + Int64(Double(logTime - first) / speed)
        return due > wall ? due - wall : nil
    }

    /// Waits `nanoseconds`, or until a termination signal arrives.
    func sleep(_ nanoseconds: Int64) {
        guard signals.received() == nil else { return }
        var watched = pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&watched, signals.fd >= 0 ? 1 : 0, Int32(clamping: (nanoseconds + 999_999) / 1_000_000))
    }
}
