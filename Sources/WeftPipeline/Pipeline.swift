import WeftCore
import WeftDecoding
import WeftFraming
import WeftJoin
import WeftMultiline

/// How the pipeline tells time.
public enum ClockMode: Sendable, Equatable {
    /// The caller passes the time (the wall clock live, a manual clock in tests).
    case external
    /// The log's own timestamps drive the clock (replay): a line's time, when it has one, moves "now" forward, so
    /// flush timeouts fire exactly where the live agent's would have.
    case logTimestamps
}

/// Settings of a ``Pipeline``; every bound has a default.
public struct PipelineConfiguration: Sendable {
    public var format: LogFormat = .auto
    /// Longest physical line and longest rejoined line; longer ones are cut and marked truncated.
    public var maxLineBytes = 1 << 20
    public var multiline = MultilineConfiguration()
    public var clock: ClockMode = .external
    /// With ``ClockMode/logTimestamps``: the year for plain-text times that have none (syslog's `Nov 29 05:03:36`).
    public var plainTimestampYear: Int64 = 1970

    public init() {}
}

/// Counters of a run, for the summary and (later) metrics.
public struct PipelineStatistics: Sendable, Equatable {
    public var bytesIn: Int64 = 0
    public var physicalLines = 0
    public var malformedLines = 0
    public var truncatedLines = 0
    /// Earliest and latest log timestamps seen (replay's time span), or `Timestamp.none`.
    public var firstTime = Timestamp.none
    public var lastTime = Timestamp.none
    /// Lines that carried no time while the log's timestamps drive the clock (replay): the flush timeout cannot
    /// fire between them.
    public var untimedLines = 0
    /// Sources added, and released after their input ended and their last record left.
    /// Lines rejoined from Docker 16 KiB chunks or CRI `P`…`F` runs.
    public var joinedLines = 0
    public var sourcesAdded = 0
    public var sourcesReleased = 0
    /// Times the caller's clock was seen going back (``ClockMode/external``): each one moved the pending times.
    public var clockStepsBack = 0

    mutating func noteTime(_ time: Int64) {
        if firstTime == Timestamp.none || time < firstTime { firstTime = time }
        if time > lastTime { lastTime = time }
    }
}

/// The whole engine in one value: framing → decoding → partial join → multiline, per source, bytes in and records out.
///
/// Pure: no I/O and no threads. Inputs hand it byte chunks as they read them and pass the time; it hands finished
/// records to a ``WeftCore/RecordOutput``, and throws what the output throws.
///
/// ```swift
/// var pipeline = Pipeline(parsers: try .make(), configuration: .init())
/// let stdin = pipeline.addSource(SourceInfo(path: nil))
/// try pipeline.feed(chunk, from: stdin, now: clock.now(), into: &output)
/// try pipeline.advance(to: clock.now(), into: &output)
/// let checkpoint = pipeline.settledOffset(of: stdin)   // safe once records up to pipeline.lastSequence are acked
/// try pipeline.endOfSource(stdin, now: clock.now(), into: &output)
/// try pipeline.finish(now: clock.now(), into: &output)
/// ```
///
/// Sources come and go: ``addSource(_:format:startOffset:)`` gives an id (reusing released ones), and a source whose
/// input ended (``endOfSource(_:now:into:)``) is released once its last record has left, so a collector that
/// follows rotations for months holds only the sources it is reading.
public struct Pipeline {
    public let configuration: PipelineConfiguration
    /// Every source by id; nil where a released source's id waits to be reused, or the id is a prefix stream's.
    private var sources: [Source?] = []
    /// Sources whose input ended and that still have records pending.
    private var ending: [SourceID] = []
    /// Counters of released sources' stages.
    private var retired = (malformed: 0, truncated: 0)
    private var core: Core

    /// Everything the pipeline holds for one input.
    struct Source {
        var info: SourceInfo
        var framer: LineFramer
        var decoder: LineDecoder
        /// The prefix layer while the source may have or has prefixes (`kubectl --prefix`, compose, journal…); nil
        /// for Docker, CRI and plain text, whose lines then pay one pointer check.
        var layer: PrefixLayer?
        /// What has been copied from the decoder into `info`.
        var described = Described()
        /// The output has been told the current `info`.
        var announced = false
        var ended = false
    }

    public init(parsers: ParserSet, configuration: PipelineConfiguration = .init()) {
        self.configuration = configuration
        core = Core(
            joiner: PartialJoiner(maxLineBytes: configuration.maxLineBytes),
            engine: MultilineEngine(parsers: parsers, configuration: configuration.multiline),
            configuration: configuration)
    }

    /// The multiline engine (its statistics, pending records, match-limit hits).
    public var engine: MultilineEngine { core.engine }

    /// Lets `--explain` watch the engine's decisions.
    public mutating func setExplain(_ explain: ((ExplainEvent) -> Void)?) { core.engine.explain = explain }

    /// Registers an input and returns its id (a released source's id may be reused). Kubernetes resource attributes
    /// are derived from its path.
    ///
    /// - Parameter startOffset: the input offset of the first byte that will be fed (a checkpoint being resumed);
    ///   byte ranges and settled offsets count from it.
    public mutating func addSource(_ info: SourceInfo, format: LogFormat? = nil, startOffset: Int64 = 0) -> SourceID {
        var info = info
        if let path = info.path, info.resource.isEmpty {
            info.resource = KubernetesPath.resource(forPath: path)
        }
        let id = core.ids.take()
        let format = format ?? configuration.format
        var source = Source(
            info: info, framer: LineFramer(maxLineBytes: configuration.maxLineBytes, startOffset: startOffset),
            decoder: LineDecoder(format: format, source: id))
        if format == .auto || format.isPrefixed {
            source.layer = PrefixLayer(PrefixDecoder(format: format, year: configuration.plainTimestampYear))
        }
        while sources.count <= Int(id) { sources.append(nil) }
        sources[Int(id)] = source
        core.stats.sourcesAdded += 1
        return id
    }

    /// Sources added and not yet released.
    public var sourceCount: Int { core.stats.sourcesAdded - core.stats.sourcesReleased }
    /// The length of the source table: the highest id in use plus one, at most (ids are reused).
    public var sourceCapacity: Int { sources.count }

    /// What is known of a source now, or nil if it was released.
    public func info(of source: SourceID) -> SourceInfo? { state(of: source)?.info }

    /// Whether `source` is added and its input has not ended (no copy of its state, unlike ``state(of:)``).
    private func isOpen(_ source: SourceID) -> Bool {
        Int(source) < sources.count && sources[Int(source)]?.ended == false
    }

    /// The source's state, or nil if it was released (its slot may be gone from the table's tail).
    private func state(of source: SourceID) -> Source? {
        Int(source) < sources.count ? sources[Int(source)] : nil
    }

    public var statistics: PipelineStatistics {
        var result = core.stats
        result.malformedLines = retired.malformed
        result.truncatedLines = retired.truncated + core.joiner.truncatedLines
        result.joinedLines = core.joiner.joinedLines
        for source in sources {
            guard let source else { continue }
            result.malformedLines += source.decoder.malformedCount + (source.layer?.decoder.malformedCount ?? 0)
            result.truncatedLines += source.framer.truncatedLines
        }
        return result
    }

    /// The format each source was read as (auto-detected or forced), nil until decided or once released.
    public func detectedFormat(of source: SourceID) -> LogFormat? {
        guard let state = state(of: source) else { return nil }
        if let layer = state.layer {
            if let format = layer.decoder.decided, format != .plain { return format }
            if layer.decoder.decided == nil { return nil }
        }
        return state.decoder.detectedFormat
    }

    /// The time by which ``advance(to:into:)`` must be called for flush timeouts to fire on time, or nil when nothing
    /// is pending.
    public var nextDeadline: Int64? {
        var deadline = core.engine.nextFlushDeadline
        if let oldest = core.joiner.oldestPendingGrowth {
            deadline = min(deadline ?? .max, oldest &+ configuration.multiline.flushTimeout)
        }
        if core.holding > 0 {
            for case let source? in sources {
                if let since = source.layer?.decoder.heldSince {
                    deadline = min(deadline ?? .max, since &+ configuration.multiline.flushTimeout)
                }
            }
        }
        return deadline
    }

    /// The ``WeftCore/Record/sequence`` of the last record handed to an output.
    public var lastSequence: UInt64 { core.engine.lastSequence }

    // MARK: - Checkpoints

    /// The offset in `source`'s input before which every byte is in a record that has left the pipeline: where a
    /// restart may resume without losing a line, once the output has acknowledged every record up to
    /// ``lastSequence``. Lines still being assembled (an unterminated line, a partial run, a pending record) hold it
    /// at their first byte.
    public func settledOffset(of source: SourceID) -> Int64 {
        guard let state = state(of: source) else { preconditionFailure("source \(source) was released") }
        var offset = min(state.framer.consumedOffset, state.layer?.decoder.heldStart ?? .max)
        core.joiner.forEachPendingStart { if $0 == source { offset = min(offset, $1) } }
        core.engine.forEachPendingStart { if $0 == source { offset = min(offset, $1) } }
        return offset
    }

    /// ``settledOffset(of:)`` of every live source, in one pass over the pending records.
    public func settledOffsets() -> [SourceID: Int64] {
        var offsets: [SourceID: Int64] = [:]
        for (index, source) in sources.enumerated() {
            if let source {
                offsets[SourceID(index)] = min(source.framer.consumedOffset, source.layer?.decoder.heldStart ?? .max)
            }
        }
        let lower = { (source: SourceID, start: Int64) in
            if let current = offsets[source], start < current { offsets[source] = start }
        }
        core.joiner.forEachPendingStart(lower)
        core.engine.forEachPendingStart(lower)
        return offsets
    }

    // MARK: - Feeding

    /// Feeds bytes read from `source`. Complete lines go through at once; an unterminated tail waits for more bytes.
    public mutating func feed<O: RecordOutput>(
        _ bytes: UnsafeRawBufferPointer, from source: SourceID, now: Int64, into output: inout O
    ) throws(O.Failure) {
        let index = Int(source)
        precondition(isOpen(source), "feeding a source that ended or was released")
        observe(now)
        core.stats.bytesIn += Int64(bytes.count)
        try announce(index, into: &output)
        var position = 0
        while let framed = sources[index]!.framer.next(in: bytes, from: &position) {
            // `framed.text` may point into the framer's carry, which stays put while the line is decoded.
            try core.line(framed, of: &sources[index]!, now: now, into: &output)
        }
    }

    /// The source reached its end (EOF, a rotated-away file read to its end): its unterminated last line, if any, is
    /// complete. The source is released, and its id freed, once its last record has left (now, at a flush timeout,
    /// or at ``finish(now:into:)``); ``closeSource(_:now:into:)`` flushes it at once instead.
    public mutating func endOfSource<O: RecordOutput>(
        _ source: SourceID, now: Int64, into output: inout O
    ) throws(O.Failure) {
        let index = Int(source)
        precondition(isOpen(source), "ending a source that ended or was released")
        observe(now)
        try announce(index, into: &output)
        if let framed = sources[index]!.framer.finish() {
            try core.line(framed, of: &sources[index]!, now: now, into: &output)
        }
        try core.flushHeld(of: &sources[index]!, into: &output)
        sources[index]!.ended = true
        ending.append(source)
        releaseDrained(into: &output)
    }

    /// Ends `source` and flushes its pending records now (`end_of_input`), then releases it.
    public mutating func closeSource<O: RecordOutput>(
        _ source: SourceID, now: Int64, into output: inout O
    ) throws(O.Failure) {
        if isOpen(source) { try endOfSource(source, now: now, into: &output) }
        guard Int(source) < sources.count, sources[Int(source)] != nil else { return }
        try core.finish(source: source, now: now, into: &output)
        releaseDrained(into: &output)
    }

    /// Fires flush timeouts due at `now`: partial lines not completed and records whose stream went quiet.
    public mutating func advance<O: RecordOutput>(to now: Int64, into output: inout O) throws(O.Failure) {
        observe(now)
        let current = configuration.clock == .logTimestamps ? max(now, core.logNow) : now
        if core.holding > 0 {
            // Lines held to detect a source's format leave once the source has been quiet for the flush timeout.
            for index in sources.indices {
                if let since = sources[index]?.layer?.decoder.heldSince,
                    since &+ configuration.multiline.flushTimeout <= now
                {
                    try core.flushHeld(of: &sources[index]!, into: &output)
                }
            }
        }
        try core.advance(to: current, into: &output)
        if !ending.isEmpty { releaseDrained(into: &output) }
    }

    /// Notices the caller's clock going back (``ClockMode/external``: the wall clock set back) and moves the arrival
    /// times every stage keeps by the same step (``MultilineEngine/clockStepped(by:)``), so that flush timeouts and
    /// the burst window keep measuring real time. A step forward needs nothing: pending records leave at once, by
    /// their flush timeout.
    @inline(__always)
    private mutating func observe(_ now: Int64) {
        guard core.configuration.clock == .external else { return }
        if now < core.lastNow { stepClock(by: now &- core.lastNow) }
        core.lastNow = now
    }

    @inline(never)
    private mutating func stepClock(by delta: Int64) {
        core.stats.clockStepsBack += 1
        core.engine.clockStepped(by: delta)
        core.joiner.clockStepped(by: delta)
        for index in sources.indices { sources[index]?.layer?.decoder.clockStepped(by: delta) }
    }

    /// Flushes everything still pending, and releases the sources that ended. Records leave with `reason`:
    /// `.endOfInput` when the input is done, `.shutdown` when a collector is stopped while its files go on.
    public mutating func finish<O: RecordOutput>(
        now: Int64, reason: FlushReason = .endOfInput, into output: inout O
    ) throws(O.Failure) {
        observe(now)
        if core.holding > 0 {
            for index in sources.indices where sources[index]?.layer?.decoder.isHolding == true {
                try core.flushHeld(of: &sources[index]!, into: &output)
            }
        }
        let current = configuration.clock == .logTimestamps ? max(now, core.logNow) : now
        try core.finish(now: current, reason: reason, into: &output)
        if !ending.isEmpty { releaseDrained(into: &output) }
    }

    // MARK: - Sources' lifecycle

    /// Tells the output what it does not know yet of a source, before its first record.
    @inline(__always)
    private mutating func announce<O: RecordOutput>(_ index: Int, into output: inout O) throws(O.Failure) {
        if sources[index]!.announced { return }
        sources[index]!.announced = true
        try output.describe(SourceID(index), as: sources[index]!.info)
    }

    /// Releases every ended source with nothing pending.
    ///
    /// Not throwing, on purpose as well: Swift 6.3.1's release build crashed in LLVM ("swifterror value can only be
    /// loaded and stored from") on `endOfSource` specialized for an output that cannot fail while this called the
    /// engine's throwing `finish(source:into:)`.
    private mutating func releaseDrained<O: RecordOutput>(into output: inout O) {
        var kept: [SourceID] = []
        for source in ending {
            if core.joiner.hasPendingRun(source: source) || core.engine.hasPending(source: source) {
                kept.append(source)
                continue
            }
            core.engine.forgetStreams(of: source)  // all idle by now
            let state = sources[Int(source)]!
            retired.malformed += state.decoder.malformedCount + (state.layer?.decoder.malformedCount ?? 0)
            retired.truncated += state.framer.truncatedLines
            for lane in state.layer?.lanes.ids ?? [] {
                output.release(lane)
                core.ids.give(lane)
            }
            sources[Int(source)] = nil
            core.ids.give(source)
            core.stats.sourcesReleased += 1
            output.release(source)
        }
        ending = kept
        // A table left long by a burst of sources shrinks once its tail is free.
        while let last = sources.last, last == nil { sources.removeLast() }
    }
}

/// What the pipeline has copied from a source's decoder into its ``SourceInfo``.
struct Described: Equatable {
    var format = false
    var attributesVersion = 0
}

/// The stages after framing, and the clock of replay.
struct Core {
    var joiner: PartialJoiner
    var engine: MultilineEngine
    let configuration: PipelineConfiguration
    var logNow = Int64.min
    /// The last time the caller passed, with ``ClockMode/external``.
    var lastNow = Int64.min
    var stats = PipelineStatistics()
    /// The last minute a plain line's leading timestamp named (most lines of a log share it).
    var timestampCache = LeadingTimestamp.Cache()
    /// Ids of sources and of their prefix streams (one space: the output knows both by id).
    var ids = SourceIDs()
    /// Sources whose prefix layer holds lines while it detects their format.
    var holding = 0

    @inline(__always)
    mutating func line<O: RecordOutput>(
        _ framed: FramedLine, of source: inout Pipeline.Source, now: Int64, into output: inout O
    ) throws(O.Failure) {
        stats.physicalLines += 1
        var line = source.decoder.decode(framed.text, flags: framed.flags)
        line.range = framed.range
        if source.decoder.detectedFormat != nil && !source.described.format
            || source.decoder.attributesVersion != source.described.attributesVersion
        {
            try describe(&source, into: &output)
        }
        if let layer = source.layer {
            try prefixed(line, layer, of: &source, now: now, into: &output)
            return
        }
        try decoded(line, now: now, into: &output)
    }

    /// A line through the source's prefix layer (while it detects, or once it found prefixes).
    @inline(never)
    mutating func prefixed<O: RecordOutput>(
        _ line: LogLine, _ layer: PrefixLayer, of source: inout Pipeline.Source, now: Int64, into output: inout O
    ) throws(O.Failure) {
        if let decided = layer.decoder.decided, decided != .plain {
            // Decided: no closure.
            try take(layer.decoder.take(line, now: now), layer, of: &source, into: &output)
            return
        }
        if let format = source.decoder.detectedFormat, format != .plain {
            source.layer = nil  // Docker or CRI: no prefixes
            try decoded(line, now: now, into: &output)
            return
        }
        let wasHolding = layer.decoder.isHolding
        defer {
            if layer.decoder.decided == .plain && !layer.decoder.isHolding { source.layer = nil }
            holding += (layer.decoder.isHolding ? 1 : 0) - (wasHolding ? 1 : 0)
        }
        try layer.decoder.push(line, now: now) { (prefixed) throws(O.Failure) in
            try self.take(prefixed, layer, of: &source, into: &output)
        }
    }

    /// Hands on the lines a source's prefix layer holds (a flush timeout, the end of its input).
    mutating func flushHeld<O: RecordOutput>(of source: inout Pipeline.Source, into output: inout O) throws(O.Failure) {
        guard let layer = source.layer else { return }
        let wasHolding = layer.decoder.isHolding
        defer {
            if layer.decoder.decided == .plain { source.layer = nil }
            holding -= wasHolding ? 1 : 0
        }
        try layer.decoder.flush { (prefixed) throws(O.Failure) in
            try self.take(prefixed, layer, of: &source, into: &output)
        }
    }

    private mutating func take<O: RecordOutput>(
        _ prefixed: PrefixDecoder.Prefixed, _ layer: PrefixLayer, of source: inout Pipeline.Source,
        into output: inout O
    ) throws(O.Failure) {
        var line = prefixed.line
        if let key = prefixed.key {
            line.lane = try lane(for: key, layer, of: source, format: prefixed.format, into: &output)
        }
        try decoded(line, now: prefixed.now, into: &output)
    }

    /// The id of the prefix stream `key` of `source`, described to the output when it is new. Within the engine's
    /// bound on streams: past it, the oldest prefix streams with nothing pending are let go, and if that frees fewer
    /// than a sixteenth of the bound, the oldest ones' records are flushed (`buffer_full`) and they are let go too.
    private mutating func lane<O: RecordOutput>(
        for key: UnsafeRawBufferPointer, _ layer: PrefixLayer, of source: borrowing Pipeline.Source,
        format: LogFormat, into output: inout O
    ) throws(O.Failure) -> SourceID {
        if let id = layer.lanes.id(for: key) { return id }
        if layer.lanes.count >= configuration.multiline.maxStreams {
            let parent = source.decoder.source
            // Room for a sixteenth of the bound at once, looked for among the oldest quarter: asking the engine
            // whether a lane holds a record passes over every stream, and asking it of every lane for every new
            // stream made 10,000 streams of pending traces take minutes (quadratic). When fewer of those lanes are
            // idle, the oldest ones' records leave early (`buffer_full`).
            let batch = max(1, configuration.multiline.maxStreams / 16)
            let candidates = Set(layer.lanes.oldest(4 * batch))
            var released = layer.lanes.remove { candidates.contains($0) && !engine.hasPending(lane: $0) }
            if released.count < batch {
                let oldest = layer.lanes.oldest(batch - released.count)
                for lane in oldest { try engine.finish(lane: lane, of: parent, reason: .bufferFull, into: &output) }
                let leaving = Set(oldest)
                released += layer.lanes.remove { leaving.contains($0) }
            }
            engine.forgetStreams(of: parent)
            for id in released {
                output.release(id)
                ids.give(id)
            }
        }
        let id = ids.take()
        var info = source.info
        let resource = PrefixDecoder.resource(forKey: key, format: format)
        // The prefix names the stream more closely than the source's path does (kubectl output saved under a
        // kubelet path): its attributes replace the path's, never appear twice.
        info.resource.removeAll { old in resource.contains { $0.key == old.key } }
        info.resource += resource
        try output.describe(id, as: info)
        layer.lanes.add(key, id)
        return id
    }

    /// A decoded line (without its prefix) on to partial join and the engine.
    @inline(__always)
    mutating func decoded<O: RecordOutput>(_ line: LogLine, now: Int64, into output: inout O) throws(O.Failure) {
        var line = line
        var now = now
        if line.time != Timestamp.none {
            stats.noteTime(line.time)
        } else if !line.flags.contains(.malformed) {
            // Plain text: the time the application printed at the start of the line, if any (the record's
            // `timestamp`, replay's clock, and what the burst window measures).
            if let printed = LeadingTimestamp.parse(
                line.text, year: configuration.plainTimestampYear, cache: &timestampCache)
            {
                line.time = printed
                stats.noteTime(printed)
            } else {
                stats.untimedLines += 1
            }
        }
        if configuration.clock == .logTimestamps {
            if line.time != Timestamp.none && line.time > logNow {
                logNow = line.time
                try advance(to: logNow, into: &output)
            }
            now = logNow == Int64.min ? 0 : logNow
        }
        if !line.isPartial && joiner.pendingRuns == 0 {
            try engine.push(line, now: now, into: &output)  // the common case: nothing to rejoin
            return
        }
        try joiner.push(line, now: now) { (whole) throws(O.Failure) in try engine.push(whole, now: now, into: &output) }
    }

    /// Copies what decoding learned about the source into its description and tells the output: the runtime once
    /// the format is known (on every record of it, the first included), Docker's `attrs` whenever they change (rare:
    /// labels, env, tag log options, as `docker.attrs.*`).
    @inline(never)
    private func describe<O: RecordOutput>(_ source: inout Pipeline.Source, into output: inout O) throws(O.Failure) {
        var changed = false
        if !source.described.format, source.decoder.detectedFormat != nil {
            source.described.format = true
            if let runtime = source.decoder.runtime {
                source.info.attributes.append((key: "container.runtime.name", value: runtime.rawValue))
                changed = true
            }
        }
        if source.decoder.attributesVersion != source.described.attributesVersion {
            source.described.attributesVersion = source.decoder.attributesVersion
            var attributes = source.info.attributes.filter { !$0.key.hasPrefix("docker.attrs.") }
            attributes += source.decoder.lastAttributes.map { (key: "docker.attrs." + $0.key, value: $0.value) }
            source.info.attributes = attributes
            changed = true
        }
        if changed { try output.describe(source.decoder.source, as: source.info) }
    }

    mutating func advance<O: RecordOutput>(to now: Int64, into output: inout O) throws(O.Failure) {
        if joiner.pendingRuns > 0 {
            try joiner.flush(idleSince: now &- configuration.multiline.flushTimeout) { (whole) throws(O.Failure) in
                try engine.push(whole, now: now, into: &output)
            }
        }
        try engine.advance(to: now, into: &output)
    }

    mutating func finish<O: RecordOutput>(now: Int64, reason: FlushReason, into output: inout O) throws(O.Failure) {
        try joiner.finish { (whole) throws(O.Failure) in try engine.push(whole, now: now, into: &output) }
        try engine.finish(reason: reason, into: &output)
    }

    mutating func finish<O: RecordOutput>(source: SourceID, now: Int64, into output: inout O) throws(O.Failure) {
        try joiner.finish(source: source) { (whole) throws(O.Failure) in
            try engine.push(whole, now: now, into: &output)
        }
        try engine.finish(source: source, into: &output)
    }
}

/// A source's prefix layer and its prefix streams, boxed: one pointer in the source (what Docker, CRI and plain
/// sources check per line), and the layer can hand lines on while the rest of the source is touched.
final class PrefixLayer {
    // Unchecked: only the pipeline touches a layer, from one thread, and the per-access checks cost on every line
    // of a prefixed pipe.
    @exclusivity(unchecked) var decoder: PrefixDecoder
    /// The prefix streams, each with the id records and the output know it by.
    @exclusivity(unchecked) var lanes = Lanes()

    init(_ decoder: PrefixDecoder) { self.decoder = decoder }
}
