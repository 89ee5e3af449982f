import ArgumentParser
import Logging
import WeftCollector
import WeftCore
import WeftExport
import WeftExportHTTP
import WeftIO
import WeftMultiline
import WeftPipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `weft tail`: the collector. Follows files across rotation and restarts, checkpointing after the output accepts.
struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow log files (as a sidecar or node agent), across rotation and restarts.",
        discussion: """
            Follows every file the globs match (symlinks followed within the globs' directories, \
            /var/log/pods and /var/lib/docker/containers; see --symlink-root), scanning the globs again every \
            --glob-interval and at once when inotify reports a new entry; rejoins and merges their lines, and \
            writes records as JSON lines. A file is known by device, inode and a fingerprint of its first bytes, so renames \
            (Docker's -json.log.1, kubelet's 0.log.<time>), copytruncate and delete-while-open are followed; a \
            rotated file is read to its end before it is let go. Each file's offset is checkpointed in --state-dir \
            once the output has written every record before it; a restart resumes there (at-least-once: what was \
            in flight may repeat, nothing is skipped). SIGTERM/SIGINT: pending records leave with flush_reason \
            shutdown, checkpoints are written, exit 0. SIGHUP reopens --output.

              weft tail '/var/log/containers/*.log' --state-dir /var/lib/weft
              weft tail '/var/log/pods/*/*/*.log' --state-dir /var/lib/weft --output /var/log/weft/records.jsonl
            """
    )

    @OptionGroup var options: PipelineOptions

    @Option(help: "Directory for checkpoints (created if missing).")
    var stateDir: String

    @Option(help: "Where records go: - for standard output, or a file (appended to, reopened on SIGHUP).")
    var output = "-"

    @Option(help: "Where files present at the first start are read from: beginning or end (restarts use checkpoints).")
    var readFrom: CollectorConfiguration.ReadFrom = .beginning

    @Option(help: "Do not follow files last changed longer ago than this (e.g. 24h) that have no checkpoint.")
    var ignoreOlder: Duration?

    @Option(help: "How often the globs are expanded again.")
    var globInterval = Duration(nanoseconds: 1_000_000_000)

    @Option(help: "How often open files are checked for growth when inotify gives no events.")
    var pollInterval = Duration(nanoseconds: 250_000_000)

    @Option(help: "Files open at once; more wait their turn.")
    var maxOpenFiles = 1024

    @Option(help: "Bound on the bytes held in pending records across all files (overrides --max-pending-bytes).")
    var maxBufferBytes: ByteCount?

    @Option(help: "Bytes read from all files in one round before the output is written (files take turns first).")
    var roundBudget = ByteCount(1 << 20)

    @Option(help: "How long a renamed or deleted file is kept open at its end in case its writer adds more.")
    var rotateWait = Duration(nanoseconds: 5_000_000_000)

    @Option(help: "How often acknowledged offsets are written to --state-dir.")
    var checkpointInterval = Duration(nanoseconds: 1_000_000_000)

    @Option(help: "How long shutdown waits for the output to accept the last records.")
    var shutdownTimeout = Duration(nanoseconds: 10_000_000_000)

    @Option(help: "Print counters to standard error this often (e.g. 10s).")
    var statsInterval: Duration?

    @Flag(help: "Poll for growth instead of using inotify.")
    var noInotify = false

    @Option(
        name: .customLong("symlink-root"),
        help: ArgumentHelp(
            "A directory a symlink found by a glob may lead into (repeatable), beside each glob's own directory and "
                + "\(CollectorConfiguration.runtimeLogDirectories.joined(separator: " and ")).",
            valueName: "dir"))
    var symlinkRoots: [String] = []

    @Flag(
        help: ArgumentHelp(
            "Follow symlinks wherever they lead (by default a file found through a glob must lie under the glob's "
                + "directory, a --symlink-root, or the runtimes' log directories)."))
    var followSymlinksOutside = false

    @Option(
        help: ArgumentHelp(
            "Serve /metrics (Prometheus), /healthz and /readyz on HOST:PORT (e.g. 127.0.0.1:2020, :2020 for every "
                + "interface, port 0 for any free one).",
            valueName: "host:port"))
    var metricsAddress: String?

    @Option(help: "How long the output may keep failing before /readyz says it is unreachable.")
    var unreadyAfter = Duration(nanoseconds: 60_000_000_000)

    @OptionGroup(title: "OTLP/HTTP output") var otlp: OTLPOptions

    @OptionGroup(title: "Weft's own log") var selfLog: SelfLogOptions

    @Argument(help: "Globs of the files to follow (quote them so the shell does not expand them).")
    var globs: [String]

    func validate() throws {
        if globs.isEmpty { throw ValidationError("name at least one glob to follow") }
        guard maxOpenFiles >= 1 else { throw ValidationError("--max-open-files must be at least 1") }
        guard roundBudget.value >= 4096 else { throw ValidationError("--round-budget must be at least 4KiB") }
        if let maxBufferBytes, maxBufferBytes.value < options.maxBytes.value {
            throw ValidationError("--max-buffer-bytes must be at least --max-bytes (\(options.maxBytes))")
        }
    }

    func run() throws {
        try Self.follow([self], names: nil)
    }

    /// The collector's settings from these flags.
    func collectorConfiguration(maxOpenFiles: Int) -> CollectorConfiguration {
        var configuration = CollectorConfiguration(globs: globs, stateDirectory: stateDir)
        configuration.readFrom = readFrom
        configuration.ignoreOlder = ignoreOlder?.nanoseconds
        configuration.globInterval = globInterval.nanoseconds
        configuration.pollInterval = pollInterval.nanoseconds
        configuration.maxOpenFiles = maxOpenFiles
        configuration.rotateWait = rotateWait.nanoseconds
        configuration.roundBudget = roundBudget.value
        configuration.readBudget = min(configuration.readBudget, roundBudget.value)
        configuration.checkpointInterval = checkpointInterval.nanoseconds
        configuration.shutdownTimeout = shutdownTimeout.nanoseconds
        configuration.followedRoots =
            followSymlinksOutside ? nil : CollectorConfiguration.runtimeLogDirectories + symlinkRoots
        return configuration
    }

    func pipeline() throws -> Pipeline {
        var configuration = options.configuration()
        if let maxBufferBytes { configuration.multiline.maxPendingBytes = maxBufferBytes.value }
        return Pipeline(parsers: try options.parserSet(), configuration: configuration)
    }

    /// Follows one or more sources in one loop: `weft tail` is one, `weft run --config` one per source block (each
    /// with its own globs, parsers, bounds and checkpoints; `names` are the blocks' names). What they share (the
    /// output, metrics, the log) comes from the first; each has its own output value on it (its own OTLP sender, or
    /// its own buffer on the shared descriptor).
    static func follow(_ sources: [Tail], names: [String]?) throws {
        let first = sources[0]
        let signals = try SignalSource(signals: [SIGINT, SIGTERM, SIGHUP])
        signal(SIGPIPE, SIG_IGN)  // a closed output is an error to report, not a silent death
        let logger = first.selfLog.logger()
        func sourceLogger(_ index: Int) -> Logger {
            var sourceLogger = logger
            if let names { sourceLogger[metadataKey: "source"] = "\(names[index])" }
            return sourceLogger
        }
        let descriptors = raiseDescriptorLimit()
        let available = max(1, (descriptors - reservedDescriptors) / sources.count)
        let configurations = sources.map { source in
            if source.maxOpenFiles > available {
                logger.warning(
                    "--max-open-files is more than the descriptor limit allows",
                    metadata: [
                        "max_open_files": "\(source.maxOpenFiles)", "descriptor_limit": "\(descriptors)",
                        "following_at_most": "\(available)",
                    ])
            }
            return source.collectorConfiguration(maxOpenFiles: min(source.maxOpenFiles, available))
        }
        var observability = Observability(serving: first.metricsAddress != nil)
        defer { observability.close() }
        let statsInterval = first.statsInterval?.nanoseconds
        /// Source `index`'s collector on `output`, counting and beating for the metrics server if there is one.
        func collector<Output: RecordOutput>(
            _ index: Int, output: Output, acknowledgements: Acknowledgements
        ) throws -> Collector<Output> {
            var collector = try Collector(
                configuration: configurations[index], pipeline: try sources[index].pipeline(), output: output,
                acknowledgements: acknowledgements, useInotify: !sources[index].noInotify, logger: sourceLogger(index))
            observe(&collector, source: names?[index], with: observability)
            return collector
        }
        let label = { (index: Int) in names.map { "weft stats source=\($0[index]) " } ?? "weft stats " }

        if let endpoint = try first.otlp.endpoint() {
            var collectors: [Collector<OTLPOutput>] = []
            var senders: [OTLPSender] = []
            var acknowledgementsOfAll: [Acknowledgements] = []
            for (index, source) in sources.enumerated() {
                let acknowledgements = Acknowledgements()
                try CheckpointStore(directory: source.stateDir).prepare()  // the dead-letter directory lives in it
                let deadLetter = try DeadLetterDirectory(
                    path: source.stateDir + "/dead-letter", logger: sourceLogger(index))
                let gzip = try GzipOnSenderThread()
                let sender = try OTLPSender(
                    endpoint: endpoint, acknowledgements: acknowledgements, maxQueued: first.otlp.maxQueuedBatches,
                    deadLetter: deadLetter, compress: { gzip.compress($0) }, metrics: observability.factory,
                    metricsDimensions: names.map { [("source", $0[index])] } ?? [],
                    heartbeat: observability.heartbeat, logger: sourceLogger(index))
                var output = OTLPOutput(
                    sender: sender, batching: first.otlp.batching(), scopeVersion: Weft.version)
                output.interruption = signals.fd
                output.handsOverOnlyOnFlush = true
                collectors.append(try collector(index, output: output, acknowledgements: acknowledgements))
                senders.append(sender)
                acknowledgementsOfAll.append(acknowledgements)
            }
            try first.serve(
                &observability, acknowledgements: acknowledgementsOfAll, senders: senders,
                outputWaits: collectors.map(\.outputWaits), logger: logger)
            defer {
                // The collectors already waited --shutdown-timeout for acknowledgements.
                for sender in senders { sender.close(timeout: 1_000_000_000) }
            }
            try Collector.run(
                &collectors, clock: SystemClock(), signals: signals, statsInterval: statsInterval,
                report: { index, collector in
                    writeStandardError(
                        label(index) + statsFields(collector.statistics, collector.pipeline) + " "
                            + senderStats(collector.output.sender) + "\n")
                },
                isInterruption: { ($0 as? OTLPError)?.isInterruption == true },
                prepareShutdown: { output, timeout in
                    output.interruption = nil
                    output.deadline = MonotonicClock.now() + timeout
                    output.closing = true
                })
            return
        }

        let path = first.output
        let outputFD = path == "-" ? STDOUT_FILENO : try open(path)
        defer { if path != "-" { close(outputFD) } }
        let shared = sources.count > 1 ? SharedDescriptor() : nil
        var collectors: [Collector<FileOutput>] = []
        var acknowledgementsOfAll: [Acknowledgements] = []
        for (index, source) in sources.enumerated() {
            let acknowledgements = Acknowledgements()
            var output = FileOutput(
                fd: outputFD, name: path == "-" ? "stdout" : path, format: source.options.outputFormat,
                acknowledgements: acknowledgements)
            // Written once per round, in waits a signal can cut short: SIGTERM stops weft even when its reader is
            // gone.
            output.writesOnlyOnFlush = true
            output.interruption = signals.fd
            output.heartbeat = observability.heartbeat
            output.sharing = shared?.slot()
            collectors.append(try collector(index, output: output, acknowledgements: acknowledgements))
            acknowledgementsOfAll.append(acknowledgements)
        }
        try first.serve(
            &observability, acknowledgements: acknowledgementsOfAll, senders: [],
            outputWaits: collectors.map(\.outputWaits), logger: logger)
        var reopened: (old: Int32, new: Int32, moved: Int)?
        try Collector.run(
            &collectors, clock: SystemClock(), signals: signals, statsInterval: statsInterval,
            hangup: { output in
                guard path != "-" else { return }
                // One new descriptor for every source's output; the old one is closed once all have moved.
                if reopened == nil {
                    reopened = (output.fd, try open(path), 0)
                    logger.info("reopened the output", metadata: ["path": "\(path)"])
                }
                try output.replaceDescriptor(with: reopened!.new)
                reopened!.moved += 1
                if reopened!.moved == sources.count {
                    if reopened!.old != outputFD { close(reopened!.old) }
                    reopened = nil
                }
            },
            report: { index, collector in
                writeStandardError(
                    label(index) + statsFields(collector.statistics, collector.pipeline, collector.output) + "\n")
            },
            isInterruption: { ($0 as? WriteError)?.isInterruption == true },
            prepareShutdown: { output, timeout in
                output.interruption = nil
                output.deadline = MonotonicClock.now() + timeout
            },
            goesFirst: { $0.sharing?.isHolding == true })
        if path != "-", let current = collectors.first?.output.fd, current != outputFD { close(current) }
    }

    /// Publishes a collector's counters (with a `source` label for a configuration's block) and its heartbeat.
    private static func observe<Output>(
        _ collector: inout Collector<Output>, source: String?, with observability: Observability
    ) {
        guard observability.isServing else { return }
        collector.metrics = CollectorMetrics(factory: observability.factory, source: source)
        collector.heartbeat = observability.heartbeat
    }

    /// Serves /metrics, /healthz and /readyz at --metrics-address, if given.
    private func serve(
        _ observability: inout Observability, acknowledgements: [Acknowledgements], senders: [OTLPSender],
        outputWaits: [OutputWaitMeter], logger: Logger
    ) throws {
        guard let metricsAddress else { return }
        // The loop turns at least every --poll-interval; outputs that push back beat every second while they wait.
        let liveWindow = max(30_000_000_000, 4 * pollInterval.nanoseconds, 4 * globInterval.nanoseconds)
        try observability.serve(
            at: metricsAddress, liveWindow: liveWindow, unreadyAfter: unreadyAfter.nanoseconds,
            acknowledgements: acknowledgements, senders: senders, outputWaits: outputWaits, logger: logger)
    }

    /// The sender's counters as logfmt fields.
    static func senderStats(_ sender: OTLPSender) -> String {
        let stats = sender.statistics
        let requests = stats.requests
        let fields: [(String, String)] = [
            ("otlp_batches_sent", "\(stats.batchesSent)"), ("otlp_records_sent", "\(stats.recordsSent)"),
            ("otlp_retries_connection", "\(stats.retriesConnection)"),
            ("otlp_retries_timeout", "\(stats.retriesTimeout)"),
            ("otlp_retries_throttled", "\(stats.retriesThrottled)"),
            ("otlp_retries_server", "\(stats.retriesServer)"),
            ("otlp_bytes_uncompressed", "\(stats.bytesUncompressed)"),
            ("otlp_bytes_compressed", "\(stats.bytesCompressed)"),
            ("otlp_partial_rejected", "\(stats.partialSuccessRejected)"),
            ("otlp_dead_lettered_records", "\(stats.deadLetteredRecords)"), ("otlp_queue_depth", "\(stats.queueDepth)"),
            ("otlp_requests", "\(requests)"),
            ("otlp_request_mean_ms", "\(requests > 0 ? stats.latencySumNanoseconds / Int64(requests) / 1_000_000 : 0)"),
        ]
        return fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    /// Descriptors kept free beside the followed files: standard streams, the output, inotify, signals, the
    /// checkpoint's temporary file and directory, a glob's directory handle.
    static let reservedDescriptors = 32

    /// Raises the soft limit on open descriptors to the hard one (many distributions start processes at 1024,
    /// --max-open-files' default) and returns the limit in force.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        let wanted = min(limit.rlim_max, 1 << 20)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, 1 << 20))
    }

    static func open(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ValidationError("cannot open --output \(path): \(String(cString: strerror(errno)))")
        }
        // A weft killed in the middle of a write left a torn last line: end it, so the next record starts a line of
        // its own (the torn one is not valid JSON; what it held is written again, its checkpoint being before it).
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0 {
            let reader = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            if reader >= 0 {
                var last: UInt8 = 0
                if pread(reader, &last, 1, info.st_size - 1) == 1, last != 0x0A {
                    var newline: UInt8 = 0x0A
                    _ = write(fd, &newline, 1)
                }
                close(reader)
            }
        }
        return fd
    }

    /// The counters as logfmt fields.
    static func statsFields(_ collector: CollectorStatistics, _ pipeline: Pipeline, _ output: FileOutput? = nil)
        -> String
    {
        let stats = pipeline.statistics
        let engine = pipeline.engine.statistics
        var fields: [(String, String)] = [
            ("files_open", "\(collector.filesOpen)"), ("files_waiting", "\(collector.filesWaiting)"),
            ("files_discovered", "\(collector.filesDiscovered)"), ("files_released", "\(collector.filesReleased)"),
            ("open_failures", "\(collector.openFailures)"), ("bytes_read", "\(collector.bytesRead)"),
            ("lines", "\(stats.physicalLines)"), ("records", "\(engine.records)"),
            ("joined_lines", "\(stats.joinedLines)"), ("malformed_lines", "\(stats.malformedLines)"),
            ("truncated_lines", "\(stats.truncatedLines)"),
            ("truncated_records", "\(engine.truncatedRecords)"),
            ("rotations_renamed", "\(collector.rotationsRenamed)"),
            ("rotations_truncated", "\(collector.rotationsTruncated)"),
            ("rotations_deleted", "\(collector.rotationsDeleted)"),
            ("checkpoint_writes", "\(collector.checkpointWrites)"),
            ("checkpoint_failures", "\(collector.checkpointFailures)"),
            ("oldest_unacknowledged_ms", "\(collector.oldestUnacknowledgedAge / 1_000_000)"),
            ("pending_bytes", "\(pipeline.engine.pendingByteCount)"),
            ("output_bytes", "\(output?.bytesWritten ?? 0)"),
            ("output_write_ms", "\((output?.writeNanoseconds ?? 0) / 1_000_000)"),
            ("output_wait_ms", "\(collector.outputWaitNanoseconds / 1_000_000)"),
        ]
        for reason in FlushReason.allCases where engine.recordsByReason[Int(reason.rawValue)] > 0 {
            fields.append(("records_\(reason.name)", "\(engine.recordsByReason[Int(reason.rawValue)])"))
        }
        for (parser, count) in engine.recordsByParser.sorted(by: { $0.key < $1.key }) {
            fields.append(("records_parser_\(parser)", "\(count)"))
        }
        return fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }
}

extension CollectorConfiguration.ReadFrom: ExpressibleByArgument {}
