import WeftCore

/// Rejoins the lines a container runtime split (Docker's 16 KiB chunks, CRI `P`…`F` runs), per source and stream.
///
/// stdout and stderr chunks interleave in one file, so a run is keyed by ``WeftCore/StreamKey`` (source, stream),
/// never by source alone. A line that is complete and has nothing pending on its stream — nearly every line — passes
/// straight through: `emit` receives the very same ``WeftCore/LogLine``, no copy. A partial chunk starts or extends a
/// run; the chunk that ends it (Docker: the one whose `log` ended in `\n`; CRI: `F`) completes it, and the joined line
/// leaves with the first chunk's time.
///
/// ```swift
/// var joiner = PartialJoiner(maxLineBytes: 1 << 20)
/// try joiner.push(decoder.decode(physical, flags: flags), now: now) { try engine.push($0, now: now, into: &output) }
/// try joiner.flush(idleSince: now - flushTimeout) { try engine.push($0, now: now, into: &output) }  // on a timer
/// try joiner.finish { try engine.push($0, now: now, into: &output) }                             // at the end
/// ```
///
/// A joined line's ``WeftCore/LogLine/range`` runs from its first chunk's start to its last chunk's end, and an
/// unfinished run holds its source's checkpoint at its first chunk (``forEachPendingStart(_:)``).
///
/// Bounded: a run that would grow past `maxLineBytes` leaves at once as its first `maxLineBytes` bytes (cut back to
/// a UTF-8 character boundary when one is within three bytes), flagged ``WeftCore/LineFlags/truncated``, and the rest
/// of that run is read and dropped until its end chunk, so the line after it starts clean. A single complete line
/// longer than the bound is cut the same way. ``truncatedLines`` counts both.
///
/// Ordering: within a stream lines leave in order. Lines of different streams leave as they complete, so they may
/// interleave differently from their first chunks. A malformed line passes straight through without touching any
/// run (it belongs to no run, and holding it would delay data for a runtime's mistake).
///
/// - Important: a line given to `emit` borrows the joiner's buffer (or the caller's); it is valid only during that
///   call.
public struct PartialJoiner {
    /// One stream's unfinished line.
    private struct Run {
        var bytes: RawBuffer
        /// The first chunk's time: the time of the whole line.
        var time: Int64
        var lastGrowth: Int64
        var flags: LineFlags
        /// Its first chunk's start to its last chunk's end in the input.
        var range: ByteRange
        /// The run was cut at the bound and is being consumed until its end chunk.
        var discarding: Bool
    }

    /// The most bytes a rejoined line may have.
    public let maxLineBytes: Int
    /// Lines cut at ``maxLineBytes`` so far.
    public private(set) var truncatedLines: Int = 0
    /// Lines rejoined from runtime chunks so far (a run flushed unfinished at a timeout counts too).
    public private(set) var joinedLines: Int = 0
    /// Bytes held in unfinished runs.
    public private(set) var pendingBytes: Int = 0

    private var runs: [StreamKey: Run] = [:]
    /// Emptied buffers of finished runs, kept so the next run does not allocate.
    private var spareBuffers: [RawBuffer] = []

    private static let spareLimit = 8
    private static let spareCapacityLimit = 256 << 10

    /// - Parameter maxLineBytes: the bound on a rejoined line (default 1 MiB); at least 4.
    public init(maxLineBytes: Int = 1 << 20) {
        precondition(maxLineBytes >= 4, "maxLineBytes must be at least 4")
        self.maxLineBytes = maxLineBytes
    }

    /// Streams with an unfinished run (including a cut run still being consumed).
    public var pendingRuns: Int { runs.count }

    /// The earliest time an unfinished run last grew, or nil when none is pending: a caller flushing after a timeout
    /// `t` has its next deadline at `oldestPendingGrowth + t`.
    public var oldestPendingGrowth: Int64? {
        var oldest: Int64? = nil
        for run in runs.values where run.lastGrowth < oldest ?? .max { oldest = run.lastGrowth }
        return oldest
    }

    /// The caller's clock stepped by `delta` nanoseconds: unfinished runs keep their age in the new time (see
    /// `MultilineEngine.clockStepped(by:)`).
    public mutating func clockStepped(by delta: Int64) {
        for index in runs.values.indices { runs.values[index].lastGrowth &+= delta }
    }

    /// Feeds one decoded line or chunk.
    ///
    /// - Parameters:
    ///   - line: from the decoder; its `isPartial` says whether more chunks follow.
    ///   - now: the engine clock (nanoseconds), remembered as the time the line's run last grew.
    ///   - emit: receives every line that is complete now, zero or more times.
    public mutating func push<E: Error>(_ line: LogLine, now: Int64, emit: (LogLine) throws(E) -> Void) throws(E) {
        if line.flags.contains(.malformed) || (!line.isPartial && runs.isEmpty) {
            try emitBounded(line, emit: emit)
            return
        }
        let key = StreamKey(source: line.source, stream: line.stream)
        guard let index = runs.index(forKey: key) else {
            if line.isPartial {
                try startRun(key, line, now: now, emit: emit)
            } else {
                try emitBounded(line, emit: emit)
            }
            return
        }

        if runs.values[index].discarding {
            runs.values[index].lastGrowth = now
            runs.values[index].range.end = line.range.end
            if !line.isPartial { recycle(runs.remove(at: index).value) }
            return
        }

        let held = runs.values[index].bytes.count
        if held + line.text.count > maxLineBytes {
            // Cut: fill the run up to the bound, emit it, then consume the rest of the run.
            var run = runs.remove(at: index).value
            pendingBytes -= held
            run.bytes.makeUnique()
            Self.append(UnsafeRawBufferPointer(rebasing: line.text[..<(maxLineBytes - held)]), to: &run.bytes)
            let kept = run.bytes.bytes
            // The byte just past the bound (in this chunk) tells whether the cut splits a character.
            let cut = UTF8Bytes.cut(atMost: maxLineBytes) { $0 < maxLineBytes ? kept[$0] : line.text[$0 - held] }
            truncatedLines += 1
            let range = run.range.through(line.range)
            try emit(
                LogLine(
                    source: key.source, stream: key.stream, time: run.time,
                    text: UnsafeRawBufferPointer(rebasing: kept[..<cut]), isPartial: false,
                    flags: run.flags.union(line.flags).union(.truncated), range: range))
            if line.isPartial {
                // The rest of the run is consumed until its end chunk; it still holds the checkpoint at its start
                // (a restart there repeats the cut line rather than resuming inside the run).
                run.bytes.removeAll()
                run.discarding = true
                run.lastGrowth = now
                run.range = range
                runs[key] = run
            } else {
                recycle(run)
            }
            return
        }

        runs.values[index].bytes.makeUnique()
        Self.append(line.text, to: &runs.values[index].bytes)
        runs.values[index].flags.formUnion(line.flags)
        runs.values[index].lastGrowth = now
        runs.values[index].range.end = line.range.end
        pendingBytes += line.text.count
        if !line.isPartial {
            let run = runs.remove(at: index).value
            pendingBytes -= run.bytes.count
            try emitRun(run, key: key, emit: emit)
        }
    }

    /// Whether `source` has an unfinished run on any stream.
    public func hasPendingRun(source: SourceID) -> Bool { runs.keys.contains { $0.source == source } }

    /// Calls `body` with the source and input offset of the first byte of every unfinished run: bytes from there on
    /// are not yet in a record, so a checkpoint must not pass them.
    public func forEachPendingStart(_ body: (SourceID, Int64) -> Void) {
        for (key, run) in runs { body(key.source, run.range.start) }
    }

    /// Emits, as complete lines, the runs that have not grown since `idleSince` (last growth `<= idleSince`): a
    /// stream that stopped without a newline must not be lost. Runs being consumed after a cut are simply ended.
    ///
    /// Runs leave ordered by source, then stream, so replay is deterministic.
    public mutating func flush<E: Error>(idleSince: Int64, emit: (LogLine) throws(E) -> Void) throws(E) {
        guard !runs.isEmpty else { return }
        let keys = runs.compactMap { $0.value.lastGrowth <= idleSince ? $0.key : nil }
        guard !keys.isEmpty else { return }
        try emitRuns(Self.ordered(keys), emit: emit)
    }

    /// Emits every unfinished run (end of input).
    public mutating func finish<E: Error>(emit: (LogLine) throws(E) -> Void) throws(E) {
        guard !runs.isEmpty else { return }
        try emitRuns(Self.ordered(Array(runs.keys)), emit: emit)
    }

    /// Emits the unfinished runs of one source (its input ended and it is being let go).
    public mutating func finish<E: Error>(source: SourceID, emit: (LogLine) throws(E) -> Void) throws(E) {
        guard !runs.isEmpty else { return }
        let keys = runs.keys.filter { $0.source == source }
        guard !keys.isEmpty else { return }
        try emitRuns(Self.ordered(keys), emit: emit)
    }

    // MARK: - Internals

    private mutating func startRun<E: Error>(
        _ key: StreamKey, _ line: LogLine, now: Int64, emit: (LogLine) throws(E) -> Void
    ) throws(E) {
        var bytes = spareBuffers.popLast() ?? RawBuffer(capacity: 0)
        if line.text.count > maxLineBytes {
            // The first chunk alone is over the bound: cut it, and consume the rest of its run.
            var whole = line
            whole.isPartial = false
            try emitBounded(whole, emit: emit)
            runs[key] = Run(
                bytes: bytes, time: line.time, lastGrowth: now, flags: [], range: line.range, discarding: true)
            return
        }
        bytes.reserveCapacity(Swift.min(maxLineBytes, Swift.max(4 * line.text.count, 4096)))
        Self.append(line.text, to: &bytes)
        pendingBytes += line.text.count
        runs[key] = Run(
            bytes: bytes, time: line.time, lastGrowth: now, flags: line.flags, range: line.range, discarding: false)
    }

    /// Emits a line that is not part of a run, cut if it is over the bound.
    @inline(__always)
    private mutating func emitBounded<E: Error>(_ line: LogLine, emit: (LogLine) throws(E) -> Void) throws(E) {
        if line.text.count <= maxLineBytes {
            try emit(line)
            return
        }
        let cut = UTF8Bytes.cut(atMost: maxLineBytes) { line.text[$0] }
        truncatedLines += 1
        var truncated = line
        truncated.text = UnsafeRawBufferPointer(rebasing: line.text[..<cut])
        truncated.flags.insert(.truncated)
        try emit(truncated)
    }

    private mutating func emitRuns<E: Error>(_ keys: [StreamKey], emit: (LogLine) throws(E) -> Void) throws(E) {
        for key in keys {
            guard let run = runs.removeValue(forKey: key) else { continue }
            pendingBytes -= run.bytes.count
            if run.discarding {
                recycle(run)
            } else {
                try emitRun(run, key: key, emit: emit)
            }
        }
    }

    private mutating func emitRun<E: Error>(_ run: Run, key: StreamKey, emit: (LogLine) throws(E) -> Void) throws(E) {
        joinedLines += 1
        try emit(
            LogLine(
                source: key.source, stream: key.stream, time: run.time, text: run.bytes.bytes, isPartial: false,
                flags: run.flags, range: run.range))
        recycle(run)
    }

    private mutating func recycle(_ run: Run) {
        var bytes = run.bytes
        guard spareBuffers.count < Self.spareLimit, bytes.capacity <= Self.spareCapacityLimit else { return }
        bytes.removeAll()
        spareBuffers.append(bytes)
    }

    @inline(__always)
    private static func append(_ text: UnsafeRawBufferPointer, to bytes: inout RawBuffer) {
        if let base = text.baseAddress { bytes.write(base, count: text.count) }
    }

    private static func ordered(_ keys: [StreamKey]) -> [StreamKey] {
        keys.sorted { ($0.source, $0.stream.rawValue) < ($1.source, $1.stream.rawValue) }
    }
}
