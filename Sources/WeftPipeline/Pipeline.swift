import WeftCore
import WeftDecoding
import WeftFraming
import WeftJoin
import WeftMultiline

/// Where finished records go, with what the run knows of their source. An output (JSON lines to a file descriptor,
/// a test's collector) implements this.
public protocol RecordOutput {
    mutating func write(_ record: Record, source: SourceInfo)
}

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

    mutating func noteTime(_ time: Int64) {
        if firstTime == Timestamp.none || time < firstTime { firstTime = time }
        if time > lastTime { lastTime = time }
    }
}

/// The whole engine in one value: framing → decoding → partial join → multiline, per source, bytes in and records out.
///
/// Still pure: no I/O and no threads. Inputs hand it byte chunks as they read them and pass the time; it hands
/// finished records to a ``RecordOutput``.
///
/// ```swift
/// var pipeline = Pipeline(parsers: try .make(), configuration: .init())
/// let stdin = pipeline.addSource(SourceInfo(path: nil))
/// pipeline.feed(chunk, from: stdin, now: clock.now(), into: &output)
/// pipeline.advance(to: clock.now(), into: &output)
/// pipeline.finish(now: clock.now(), into: &output)
/// ```
public struct Pipeline {
    public let configuration: PipelineConfiguration
    public private(set) var sources = SourceTable()
    private var framers: [LineFramer?] = []
    private var decoders: [LineDecoder?] = []
    private var described: [Described] = []
    private var core: Core

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

    /// Registers an input. Kubernetes resource attributes are derived from its path.
    public mutating func addSource(_ info: SourceInfo, format: LogFormat? = nil) -> SourceID {
        var info = info
        if let path = info.path, info.resource.isEmpty {
            info.resource = KubernetesPath.resource(forPath: path)
        }
        let id = sources.add(info)
        framers.append(LineFramer(maxLineBytes: configuration.maxLineBytes))
        decoders.append(LineDecoder(format: format ?? configuration.format, source: id))
        described.append(Described())
        return id
    }

    public var statistics: PipelineStatistics {
        var result = core.stats
        result.malformedLines = decoders.reduce(0) { $0 + ($1?.malformedCount ?? 0) }
        result.truncatedLines =
            framers.reduce(0) { $0 + ($1?.truncatedLines ?? 0) } + core.joiner.truncatedLines
        return result
    }

    /// The format each source was read as (auto-detected or forced), nil until decided.
    public func detectedFormat(of source: SourceID) -> LogFormat? { decoders[Int(source)]?.detectedFormat }

    /// The time by which ``advance(to:into:)`` must be called for flush timeouts to fire on time, or nil when nothing
    /// is pending.
    public var nextDeadline: Int64? {
        var deadline = core.engine.nextFlushDeadline
        if let oldest = core.joiner.oldestPendingGrowth {
            deadline = min(deadline ?? .max, oldest &+ configuration.multiline.flushTimeout)
        }
        return deadline
    }

    // MARK: - Feeding

    /// Feeds bytes read from `source`. Complete lines go through at once; an unterminated tail waits for more bytes.
    public mutating func feed<O: RecordOutput>(
        _ bytes: UnsafeRawBufferPointer, from source: SourceID, now: Int64, into output: inout O
    ) {
        core.stats.bytesIn += Int64(bytes.count)
        withSource(source, output: &output, now: now) { framer, emit in framer.feed(bytes, emit: emit) }
    }

    /// The source reached its end (EOF): its unterminated last line, if any, is complete.
    public mutating func endOfSource<O: RecordOutput>(_ source: SourceID, now: Int64, into output: inout O) {
        withSource(source, output: &output, now: now) { framer, emit in framer.finish(emit: emit) }
    }

    /// Fires flush timeouts due at `now`: partial lines not completed and records whose stream went quiet.
    public mutating func advance<O: RecordOutput>(to now: Int64, into output: inout O) {
        let current = configuration.clock == .logTimestamps ? max(now, core.logNow) : now
        withUnsafeMutablePointer(to: &output) { pointer in
            var sink = OutputSink(output: pointer, sources: sources)
            core.advance(to: current, sink: &sink)
        }
    }

    /// Flushes everything still pending (end of input, shutdown).
    public mutating func finish<O: RecordOutput>(now: Int64, into output: inout O) {
        let current = configuration.clock == .logTimestamps ? max(now, core.logNow) : now
        withUnsafeMutablePointer(to: &output) { pointer in
            var sink = OutputSink(output: pointer, sources: sources)
            core.finish(now: current, sink: &sink)
        }
    }

    private mutating func withSource<O: RecordOutput>(
        _ source: SourceID, output: inout O, now: Int64,
        _ body: (inout LineFramer, (UnsafeRawBufferPointer, LineFlags) -> Void) -> Void
    ) {
        let index = Int(source)
        // Moved out while in use, so the closure can reach the other stages without overlapping access.
        var framer = framers[index].take()!
        var decoder = decoders[index].take()!
        var isDescribed = described[index]
        withUnsafeMutablePointer(to: &output) { pointer in
            var sink = OutputSink(output: pointer, sources: sources)
            body(&framer) { physical, flags in
                core.line(physical, flags: flags, decoder: &decoder, described: &isDescribed, now: now, sink: &sink)
            }
            if isDescribed != described[index] {
                described[index] = isDescribed
                sources = sink.sources
            }
        }
        framers[index] = framer
        decoders[index] = decoder
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
    var stats = PipelineStatistics()

    @inline(__always)
    mutating func line<O: RecordOutput>(
        _ physical: UnsafeRawBufferPointer, flags: LineFlags, decoder: inout LineDecoder,
        described: inout Described, now: Int64, sink: inout OutputSink<O>
    ) {
        stats.physicalLines += 1
        var line = decoder.decode(physical, flags: flags)
        if !described.format, decoder.detectedFormat != nil {
            // What decoding learned about the source (its runtime) goes on every record of it, the first included.
            described.format = true
            if let runtime = decoder.runtime {
                sink.sources[line.source].attributes.append((key: "container.runtime.name", value: runtime.rawValue))
            }
        }
        if decoder.attributesVersion != described.attributesVersion {
            // Docker's `attrs` (labels, env, tag log options) change rarely; records carry them as docker.attrs.*.
            described.attributesVersion = decoder.attributesVersion
            var attributes = sink.sources[line.source].attributes.filter { !$0.key.hasPrefix("docker.attrs.") }
            attributes += decoder.lastAttributes.map { (key: "docker.attrs." + $0.key, value: $0.value) }
            sink.sources[line.source].attributes = attributes
        }
        var now = now
        if line.time != Timestamp.none { stats.noteTime(line.time) }
        if configuration.clock == .logTimestamps {
            if line.time == Timestamp.none && !line.flags.contains(.malformed) {
                // Plain text: the time the application printed at the start of the line, if any.
                if let printed = LeadingTimestamp.parse(line.text, year: configuration.plainTimestampYear) {
                    line.time = printed
                    stats.noteTime(printed)
                } else {
                    stats.untimedLines += 1
                }
            }
            if line.time != Timestamp.none && line.time > logNow {
                logNow = line.time
                advance(to: logNow, sink: &sink)
            }
            now = logNow == Int64.min ? 0 : logNow
        }
        if !line.isPartial && joiner.pendingRuns == 0 {
            engine.push(line, now: now, into: &sink)  // the common case: nothing to rejoin
            return
        }
        joiner.push(line, now: now) { whole in engine.push(whole, now: now, into: &sink) }
    }

    mutating func advance<O: RecordOutput>(to now: Int64, sink: inout OutputSink<O>) {
        if joiner.pendingRuns > 0 {
            joiner.flush(idleSince: now &- configuration.multiline.flushTimeout) { whole in
                engine.push(whole, now: now, into: &sink)
            }
        }
        engine.advance(to: now, into: &sink)
    }

    mutating func finish<O: RecordOutput>(now: Int64, sink: inout OutputSink<O>) {
        joiner.finish { whole in engine.push(whole, now: now, into: &sink) }
        engine.finish(into: &sink)
    }
}

/// Adapts a ``RecordOutput`` to the engine's ``RecordSink``, adding each record's source.
///
/// Inlinable so that the module that picks the output (the CLI) gets `emit` specialized for it: otherwise the engine,
/// specialized there, called the generic `emit` through its protocol witness once per record.
@usableFromInline
struct OutputSink<O: RecordOutput>: RecordSink {
    @usableFromInline let output: UnsafeMutablePointer<O>
    @usableFromInline var sources: SourceTable

    init(output: UnsafeMutablePointer<O>, sources: SourceTable) {
        self.output = output
        self.sources = sources
    }

    @inlinable
    mutating func emit(_ record: Record) {
        output.pointee.write(record, source: sources[record.source])
    }
}
