import CWeftSystem
import Logging
import WeftCore
import WeftIO
import WeftMultiline
import WeftPipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The settings of `weft tail`; every bound has a default.
public struct CollectorConfiguration: Sendable {
    /// Where files present at the first start (no checkpoints yet) are read from. Files that appear later, and every
    /// file after a restart, are read from their beginning or their checkpoint.
    public enum ReadFrom: String, Sendable, CaseIterable {
        case beginning, end
    }

    public var globs: [String]
    public var stateDirectory: String
    public var readFrom = ReadFrom.beginning
    /// Files whose last change is older than this (nanoseconds) and that have no checkpoint are not followed.
    public var ignoreOlder: Int64?
    /// How often the globs are expanded again (inotify triggers a scan sooner when an entry is created or moved).
    public var globInterval: Int64 = 1_000_000_000
    /// How often open files are checked for growth when nothing woke the collector (the fallback where inotify
    /// gives no events, such as network file systems).
    public var pollInterval: Int64 = 250_000_000
    /// Files open at once; files found beyond it wait until others are let go.
    public var maxOpenFiles = 1024
    /// Bytes read from one file per round before the others get their turn.
    public var readBudget = 1 << 20
    /// Bytes read from all files in one round (files take turns being first): bounds what one round hands the
    /// output, and so the output's buffer.
    public var roundBudget = 1 << 20
    /// How long a renamed or deleted file is kept open at its end, in case its writer still adds to it, before it
    /// is let go (its bytes are all read by then: this only bounds waiting for more).
    public var rotateWait: Int64 = 5_000_000_000
    /// How often acknowledged offsets are written to the state directory (and always at shutdown).
    public var checkpointInterval: Int64 = 1_000_000_000
    /// How long shutdown waits for the output to acknowledge the last records.
    public var shutdownTimeout: Int64 = 10_000_000_000
    /// Directories beside the globs' own literal directories under which a followed file may lie once its symlinks
    /// are resolved (``FollowedRoots``); a path that leads elsewhere is not opened. nil follows symlinks anywhere.
    public var followedRoots: [String]? = CollectorConfiguration.runtimeLogDirectories

    /// Where kubelet's and the runtimes' symlinks lead: `/var/log/containers/*.log` into `/var/log/pods`, and with
    /// Docker (cri-dockerd) the files under `/var/log/pods` into `/var/lib/docker/containers`.
    public static let runtimeLogDirectories = ["/var/log/pods", "/var/lib/docker/containers"]

    public init(globs: [String], stateDirectory: String) {
        self.globs = globs
        self.stateDirectory = stateDirectory
    }
}

/// Counters of a collector, for `--stats-interval` and `/metrics` (``CollectorMetrics``).
public struct CollectorStatistics: Sendable, Equatable {
    public var filesDiscovered = 0
    public var filesOpen = 0
    public var filesReleased = 0
    /// Files found but not opened because `maxOpenFiles` were open (at the last scan).
    public var filesWaiting = 0
    public var openFailures = 0
    public var bytesRead: Int64 = 0
    public var rotationsRenamed = 0
    public var rotationsTruncated = 0
    public var rotationsDeleted = 0
    public var checkpointWrites = 0
    public var checkpointFailures = 0
    /// Age of the oldest record handed to the output and not yet acknowledged (nanoseconds), 0 when none.
    public var oldestUnacknowledgedAge: Int64 = 0
    /// Time spent in the output's flush (nanoseconds, the waits that ended): writing to a slow reader, or waiting
    /// for room in a full OTLP queue. Reading is paused meanwhile: the backpressure an operator sees as lag.
    public var outputWaitNanoseconds: Int64 = 0
}

/// `weft tail`: follows the files its globs match, across rotation and restarts, through one pure ``Pipeline`` into
/// one ``RecordOutput``, and checkpoints each file's offset once the output has acknowledged the records before it.
///
/// Single-threaded: one round reads up to ``CollectorConfiguration/readBudget`` from each open file, fires flush
/// timeouts, flushes the output and moves checkpoints. A slow output blocks the round (its writes block), so reading
/// pauses and memory stays within the pipeline's bounds: backpressure without a queue to overflow. Tests drive
/// ``step(now:)`` with a manual clock; ``run(clock:signals:hangup:)`` adds waiting and signals.
public struct Collector<Output: RecordOutput> {
    public let configuration: CollectorConfiguration
    public private(set) var pipeline: Pipeline
    public var output: Output
    public private(set) var statistics = CollectorStatistics()
    let acknowledgements: Acknowledgements
    let store: CheckpointStore
    /// Operator messages (file followed, rotated, unreadable; checkpoint trouble): a fixed message per kind of event,
    /// the particulars as metadata (so that rate limiting and searching work by kind).
    var logger: Logger
    /// Where ``run(clock:signals:statsInterval:hangup:report:isInterruption:prepareShutdown:)`` publishes the
    /// counters, once a second (nil: nowhere).
    public var metrics: CollectorMetrics?
    /// Beaten at every turn of ``run(clock:signals:statsInterval:hangup:report:isInterruption:prepareShutdown:)``,
    /// and marked started once the first turn has discovered the inputs (`/healthz`, `/readyz`).
    public var heartbeat: Heartbeat?
    /// The clock read around each flush of the output, for ``CollectorStatistics/outputWaitNanoseconds`` (the
    /// monotonic clock; tests pass one that the output itself advances).
    public var stopwatch: @Sendable () -> Int64 = { MonotonicClock.now() }
    /// The same time as ``CollectorStatistics/outputWaitNanoseconds``, with a wait in progress, for other threads
    /// (the metrics server, before a scrape).
    public let outputWaits = OutputWaitMeter()

    struct FileKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    struct Tailer {
        var path: String
        var identity: FileIdentity
        let fd: Int32
        var source: SourceID
        /// The next byte to read.
        var offset: Int64
        var lastGrowth: Int64
        /// When the path stopped naming this file (renamed, deleted), or nil while it is current.
        var rotatedAt: Int64?
        /// When truncation and rotation were last looked for (at most once per poll interval while the file is quiet).
        var lastChecked: Int64?
        var key: FileKey { FileKey(device: identity.device, inode: identity.inode) }
    }

    private var tailers: [Tailer] = []
    /// Where the next round starts reading.
    private var firstTailer = 0
    /// Files read to their end and let go, by key: not opened again unless they grow.
    private var released: [FileKey: Released] = [:]

    /// What is kept of a file read to its end and let go, one per file its globs match: enough to know it again (the
    /// fingerprint of its first bytes, its change and birth times) and where it was left, in 40 bytes (a whole
    /// ``Checkpoint``, with its path, took 56).
    struct Released {
        var fingerprint: UInt64
        var offset: Int64
        /// Its status change time (`st_ctim`, nanoseconds) when last known to be this file: a write and a truncation
        /// change it.
        var changed: Int64
        /// Its birth time (statx), `Int64.min` where the file system keeps none. A new file that gets this file's
        /// inode after it is deleted is born anew; its change time alone could, within one tick of the kernel's
        /// coarse clock, equal the old file's.
        var born: Int64
        var fingerprintLength: Int32

        init(_ checkpoint: Checkpoint, changed: Int64, born: Int64) {
            fingerprint = checkpoint.fingerprint
            offset = checkpoint.offset
            self.changed = changed
            self.born = born
            fingerprintLength = Int32(clamping: checkpoint.fingerprintLength)
        }

        /// Whether the file `info` describes (born `born`) is, untouched, the one let go: then it need not be opened
        /// and its first bytes compared again. Without a birth time, never.
        func isUntouched(_ info: stat, born: @autoclosure () -> Int64) -> Bool {
            self.born != Int64.min && Collector.changeTime(info) == changed && Int64(info.st_size) <= offset
                && born() == self.born
        }

        func identity(_ key: FileKey) -> FileIdentity {
            FileIdentity(
                device: key.device, inode: key.inode, fingerprint: fingerprint,
                fingerprintLength: Int(fingerprintLength))
        }
    }
    /// Files let go since the last ``noteOffsets(now:)``: their final offsets go into one mark, not into every mark
    /// after (with 100,000 files taking turns, every round would copy them all).
    private var releasedSinceNote: [Checkpoint] = []
    /// What is saved: the acknowledged offsets.
    private var checkpoints: [FileKey: Checkpoint] = [:]
    private var checkpointsDirty = false
    /// A file was opened that no saved checkpoint knows: save at the end of the round, not at the interval.
    private var saveSoon = false
    /// Offsets waiting for the output to acknowledge every record up to `sequence`.
    private var marks: [(sequence: UInt64, at: Int64, entries: [Checkpoint])] = []
    private var firstStart: Bool
    private var scanned = false
    private var scanDue = true
    private var nextScan: Int64 = 0
    private var nextCheckpointWrite: Int64 = 0
    /// The time of the last round: a round at an earlier time means the wall clock was stepped back.
    private var lastNow = Int64.min
    private var unreadable: Set<String> = []
    /// Where the followed files may lie (nil: anywhere).
    private var roots: FollowedRoots?
    /// Paths found leading out of the roots, with the file they named then: not opened again while they do.
    private var outside: [String: FileKey] = [:]
    private var descriptorsExhausted = false
    /// Files of the current scan that could not be opened for want of descriptors.
    private var waitingForDescriptors = 0
    private let watcher: DirectoryWatcher?
    /// The read buffer, owned by a `RawBuffer` so that it is freed with the collector.
    private let readBuffer = RawBuffer(capacity: 256 << 10)
    private var buffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: readBuffer.base, count: readBuffer.capacity)
    }

    /// Prepares the state directory and loads its checkpoints.
    ///
    /// - Parameters:
    ///   - acknowledgements: what `output` reports durability through.
    ///   - logger: where operator messages go.
    public init(
        configuration: CollectorConfiguration, pipeline: Pipeline, output: Output, acknowledgements: Acknowledgements,
        useInotify: Bool = true, logger: Logger
    ) throws(CheckpointError) {
        self.configuration = configuration
        self.pipeline = pipeline
        self.output = output
        self.acknowledgements = acknowledgements
        self.logger = logger
        store = CheckpointStore(directory: configuration.stateDirectory)
        try store.prepare()
        switch store.load() {
        case .none:
            firstStart = true
        case .checkpoints(let loaded):
            firstStart = false
            for checkpoint in loaded {
                checkpoints[FileKey(device: checkpoint.device, inode: checkpoint.inode)] = checkpoint
            }
        case .damaged(let reason, let movedTo):
            // Not knowing where files were read to, read them as on a first start (at-least-once: --read-from
            // beginning repeats what was read before; end skips what came meanwhile, as the user chose).
            firstStart = true
            logger.error(
                "checkpoints damaged; files are read as on a first start",
                metadata: [
                    "path": "\(store.path)", "reason": "\(reason)", "moved_to": "\(movedTo ?? "-")",
                    "read_from": "\(configuration.readFrom)",
                ])
        }
        watcher = useInotify ? DirectoryWatcher() : nil
        roots = configuration.followedRoots.map { FollowedRoots(globs: configuration.globs, extra: $0) }
    }

    /// The descriptors a waiting loop should poll besides its own (inotify), if any.
    public var wakeDescriptor: Int32? { watcher?.fd }

    /// Paths of the files open now.
    public var openPaths: [String] { tailers.map(\.path) }

    // MARK: - One round

    /// One round at `now`: scans the globs if due, reads up to the budget from every open file, fires flush timeouts,
    /// flushes the output and moves checkpoints. Returns whether any file had bytes to read (call again at once).
    @discardableResult
    public mutating func step(now: Int64) throws -> Bool {
        if now < lastNow { clockSteppedBack(by: lastNow - now, to: now) }
        lastNow = now
        if let watcher {
            let events = watcher.drain()
            if events.structural { scanDue = true }
        }
        if scanDue || now >= nextScan { scan(now: now) }
        var busy = false
        var budget = configuration.roundBudget
        // Files take turns being first, so a round that runs out of budget does not always favour the same ones.
        var order = Array(tailers.indices)
        if !order.isEmpty {
            order = Array(order[(firstTailer % order.count)...] + order[..<(firstTailer % order.count)])
        }
        firstTailer &+= 1
        var finishedIdentities: [FileKey] = []
        for index in order where budget > 0 {
            let (read, finished) = try readRound(index, budget: budget, now: now)
            budget -= read
            if read > 0 { busy = true }
            if finished { finishedIdentities.append(tailers[index].key) }
        }
        for key in finishedIdentities {
            if let index = tailers.firstIndex(where: { $0.key == key }) { try letGo(index, now: now) }
        }
        try pipeline.advance(to: now, into: &output)
        let waited = try flushOutput()
        noteOffsets(now: now)
        // `now` is from before the flush, which may have waited seconds for a full queue: the records read in this
        // round are that much older when their age is taken.
        try commitAcknowledged(now: now, force: false, lateBy: waited)
        statistics.filesOpen = tailers.count
        return busy
    }

    /// Flushes the output, counting the time reading is paused for it (two clock reads a round, none per line).
    /// Returns that time (nanoseconds).
    private mutating func flushOutput() throws(Output.Failure) -> Int64 {
        let started = stopwatch()
        outputWaits.begin(at: started)
        do {
            try output.flush()
        } catch {
            endWait(since: started)
            throw error
        }
        return endWait(since: started)
    }

    @discardableResult
    private mutating func endWait(since started: Int64) -> Int64 {
        let ended = stopwatch()
        outputWaits.end(at: ended)
        statistics.outputWaitNanoseconds += ended - started
        return ended - started
    }

    /// The wall clock was stepped back (NTP at boot, an operator): the collector's own timers were set in the old
    /// time and would each wait the step's length (no glob scan, no checkpoint write, no rotated file let go for an
    /// hour after a step of an hour). They start again from now; the pipeline moves its own pending times itself
    /// (`Pipeline`'s `observe`).
    private mutating func clockSteppedBack(by step: Int64, to now: Int64) {
        scanDue = true
        nextScan = min(nextScan, now)
        nextCheckpointWrite = min(nextCheckpointWrite, now)
        for index in tailers.indices {
            tailers[index].lastGrowth = min(tailers[index].lastGrowth, now)
            tailers[index].rotatedAt = tailers[index].rotatedAt.map { min($0, now) }
            tailers[index].lastChecked = nil
        }
        for index in marks.indices { marks[index].at = min(marks[index].at, now) }
        if step >= 1_000_000_000 {
            logger.warning(
                "the wall clock went back; the collector's timers start again from now",
                metadata: ["step_ms": "\(step / 1_000_000)"])
        }
    }

    /// Reads from one file up to the budget; at its end, looks for truncation and rotation. Returns the bytes read
    /// and whether the file is done (rotated away, read to its end, and quiet for the rotate wait).
    private mutating func readRound(_ index: Int, budget: Int, now: Int64) throws -> (Int, Bool) {
        var total = 0
        let limit = min(configuration.readBudget, budget)
        while total < limit {
            let fd = tailers[index].fd
            let count = pread(fd, buffer.baseAddress, min(buffer.count, limit - total), off_t(tailers[index].offset))
            if count < 0 {
                if errno == EINTR { continue }
                logger.error(
                    "cannot read file; letting it go",
                    metadata: ["path": "\(tailers[index].path)", "reason": "\(String(cString: strerror(errno)))"])
                return (total, true)
            }
            if count == 0 { break }
            try pipeline.feed(
                UnsafeRawBufferPointer(rebasing: buffer[..<count]), from: tailers[index].source, now: now,
                into: &output)
            tailers[index].offset += Int64(count)
            tailers[index].lastGrowth = now
            statistics.bytesRead += Int64(count)
            total += count
            refreshFingerprint(index)
        }
        if total > 0 { return (total, false) }
        return (0, try atEnd(index, now: now))
    }

    /// A file grown past its fingerprint's span gets its full fingerprint (what a restart will compare).
    private mutating func refreshFingerprint(_ index: Int) {
        guard tailers[index].identity.fingerprintLength < FileIdentity.fingerprintSpan else { return }
        if let identity = FileIdentity.of(fd: tailers[index].fd), identity.inode == tailers[index].identity.inode {
            tailers[index].identity = identity
        }
    }

    /// The file has no more bytes now: was it truncated, renamed or deleted?
    private mutating func atEnd(_ index: Int, now: Int64) throws -> Bool {
        var info = stat()
        guard fstat(tailers[index].fd, &info) == 0 else { return true }
        if Int64(info.st_size) < tailers[index].offset {
            // copytruncate: the writer started again at 0. What was read stays read; the new content is a new
            // source from its first byte.
            statistics.rotationsTruncated += 1
            logger.notice(
                "file truncated; reading it from 0",
                metadata: [
                    "path": "\(tailers[index].path)", "offset": "\(tailers[index].offset)", "size": "\(info.st_size)",
                ])
            try pipeline.closeSource(tailers[index].source, now: now, into: &output)
            tailers[index].source = pipeline.addSource(SourceInfo(path: tailers[index].path))
            tailers[index].offset = 0
            tailers[index].identity =
                FileIdentity.of(fd: tailers[index].fd) ?? tailers[index].identity
            tailers[index].lastGrowth = now
            return false
        }
        // Looking the path up for every quiet file every round would dominate a thousand idle files; once per poll
        // interval finds a rename just as surely (the old file is read to its end either way).
        if tailers[index].rotatedAt == nil, let checked = tailers[index].lastChecked,
            now - checked < configuration.pollInterval
        {
            return false
        }
        tailers[index].lastChecked = now
        if tailers[index].rotatedAt == nil {
            var current = stat()
            let sameFile =
                stat(tailers[index].path, &current) == 0 && UInt64(current.st_dev) == tailers[index].identity.device
                && UInt64(current.st_ino) == tailers[index].identity.inode
            if !sameFile {
                tailers[index].rotatedAt = now
                scanDue = true  // a new file probably has the name now
                if info.st_nlink == 0 {
                    statistics.rotationsDeleted += 1
                    logger.info("file deleted; reading it to its end", metadata: ["path": "\(tailers[index].path)"])
                } else {
                    statistics.rotationsRenamed += 1
                    logger.info(
                        "file renamed or replaced; reading it to its end", metadata: ["path": "\(tailers[index].path)"])
                }
            }
        }
        guard let rotatedAt = tailers[index].rotatedAt else {
            // Files wait for a place (--max-open-files, or descriptors): one read to its end and quiet for the
            // rotate wait gives its place up, and is opened again where it was let go once it grows and a place is
            // free. Without this, files beyond the limit would wait for ever behind idle ones.
            return statistics.filesWaiting > 0 && now - tailers[index].lastGrowth >= configuration.rotateWait
        }
        return now - max(rotatedAt, tailers[index].lastGrowth) >= configuration.rotateWait
    }

    /// Closes a file read to its end: its pending records leave now, and, unless it was deleted, it is remembered as
    /// read (by its whole identity: a new file may get a deleted file's inode at once).
    private mutating func letGo(_ index: Int, now: Int64) throws {
        let tailer = tailers.remove(at: index)
        try pipeline.closeSource(tailer.source, now: now, into: &output)
        var info = stat()
        let deleted = fstat(tailer.fd, &info) != 0 || info.st_nlink == 0
        let born = deleted ? Int64.min : weft_birth_time_fd(tailer.fd)
        close(tailer.fd)
        if deleted {
            released[tailer.key] = nil
            if checkpoints.removeValue(forKey: tailer.key) != nil { checkpointsDirty = true }
        } else {
            let checkpoint = Checkpoint(path: tailer.path, identity: tailer.identity, offset: tailer.offset)
            released[tailer.key] = Released(checkpoint, changed: Self.changeTime(info), born: born)
            releasedSinceNote.append(checkpoint)
        }
        statistics.filesReleased += 1
    }

    static func changeTime(_ info: stat) -> Int64 {
        Int64(info.st_ctim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_ctim.tv_nsec)
    }

    /// Whether the file now at `path` is the let-go file `done` (same inode is not enough: same first bytes).
    private func isReleased(_ done: Released, at path: String, key: FileKey) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return true }  // cannot tell: leave it alone until it can be opened
        defer { close(fd) }
        return done.identity(key).matches(fd: fd, device: key.device, inode: key.inode)
    }

    // MARK: - Discovery

    private mutating func scan(now: Int64) {
        scanDue = false
        nextScan = now + configuration.globInterval
        let initial = !scanned
        scanned = true
        var seen = Set<FileKey>()
        var waiting = 0
        waitingForDescriptors = 0
        let paths = Globs.expand(configuration.globs)
        unreadable.formIntersection(paths)  // paths that went away are not remembered forever
        roots?.refresh()
        if !outside.isEmpty {
            let current = Set(paths)
            outside = outside.filter { current.contains($0.key) }
        }
        var open = Set(tailers.map(\.key))
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let key = FileKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            seen.insert(key)
            if open.contains(key) || outside[path] == key { continue }
            if let done = released[key] {
                // Untouched since it was let go: no need to open it and compare its first bytes again. (Every scan
                // opened every let-go file: 2,900 opens a second and a tenth of a core with 10,000 idle files.)
                if done.isUntouched(info, born: weft_birth_time(path)) { continue }
                if !isReleased(done, at: path, key: key) {
                    released[key] = nil  // a new file with a let-go file's inode
                } else if Int64(info.st_size) <= done.offset {
                    released[key]?.changed = Self.changeTime(info)  // changed, not grown (a chmod, a touch)
                    released[key]?.born = weft_birth_time(path)
                    continue
                }
            }
            if let ignoreOlder = configuration.ignoreOlder, checkpoints[key] == nil, released[key] == nil,
                Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec) < now - ignoreOlder
            {
                continue
            }
            guard tailers.count < configuration.maxOpenFiles else {
                waiting += 1
                continue
            }
            if self.open(path, key: key, initial: initial, now: now) { open.insert(key) }
        }
        if initial { resumeRotatedAway(seen: &seen, now: now) }
        statistics.filesWaiting = waiting + waitingForDescriptors
        // Forget what is gone: released files no glob matches any more, and checkpoints of files neither open nor
        // seen, unless a mark still waiting for acknowledgement holds them (a crash before that acknowledgement must
        // find the file's checkpoint, to look for it by inode).
        // (The keys to drop are listed first, not a copy of every key: with 100,000 files that copy was 1.6 MB a scan.)
        for key in released.keys.filter({ !seen.contains($0) }) { released[key] = nil }
        var awaited = Set<FileKey>()
        for mark in marks {
            for entry in mark.entries { awaited.insert(FileKey(device: entry.device, inode: entry.inode)) }
        }
        for key in checkpoints.keys.filter({ !seen.contains($0) && !awaited.contains($0) && !open.contains($0) }) {
            checkpoints[key] = nil
            checkpointsDirty = true
        }
        if let watcher {
            var directories = Set(configuration.globs.map(Globs.literalDirectory(of:)))
            for tailer in tailers { directories.insert(Self.directory(of: tailer.path)) }
            watcher.retain(directories)
            for directory in directories { watcher.watch(directory) }
        }
    }

    /// Opens a found file and starts following it; false if it could not be.
    @discardableResult
    private mutating func open(_ path: String, key: FileKey, initial: Bool, now: Int64) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == EMFILE || errno == ENFILE {
                // Out of descriptors (the process's or the system's): the file waits its turn like one beyond
                // --max-open-files; one descriptor is kept free for checkpoints by the caller's limit.
                waitingForDescriptors += 1
                if !descriptorsExhausted {
                    descriptorsExhausted = true
                    logger.warning(
                        "out of file descriptors; more files wait their turn",
                        metadata: ["reason": "\(String(cString: strerror(errno)))"])
                }
                return false
            }
            statistics.openFailures += 1
            if unreadable.insert(path).inserted {
                logger.warning(
                    "cannot open file; the other files go on",
                    metadata: ["path": "\(path)", "reason": "\(String(cString: strerror(errno)))"])
            }
            return false
        }
        var info = stat()
        guard fstat(fd, &info) == 0, UInt64(info.st_dev) == key.device, UInt64(info.st_ino) == key.inode,
            let identity = FileIdentity.of(fd: fd)
        else {
            close(fd)  // replaced between the scan and the open: the next scan finds the new file
            return false
        }
        if let roots {
            let real = FollowedRoots.realPath(of: fd, path: path)
            if real.map(roots.contains) != true {
                close(fd)
                statistics.openFailures += 1
                outside[path] = key
                logger.warning(
                    "file lies outside the followed directories (a symlink leads out of them); not followed",
                    metadata: [
                        "path": "\(path)", "target": "\(real ?? "?")",
                        "roots": "\(roots.resolved.joined(separator: ","))",
                    ])
                return false
            }
        }
        unreadable.remove(path)
        descriptorsExhausted = false
        let size = Int64(info.st_size)
        var start: Int64 = 0
        // The checkpoint held for this inode is another file's (a deleted file whose inode the file system gave to
        // this one, or this file before it was truncated while Weft was down).
        var stale = false
        if let done = released.removeValue(forKey: key) {
            start = min(done.offset, size)  // a released file that grew: only the new bytes
        } else if let checkpoint = checkpoints[key] {
            if checkpoint.identity.matches(fd: fd, device: key.device, inode: key.inode) && checkpoint.offset <= size {
                start = checkpoint.offset
            } else {
                stale = true
                logger.notice(
                    "file is not the one its checkpoint was for (or is shorter now); reading it from 0",
                    metadata: ["path": "\(path)"])
            }
        } else if initial && firstStart && configuration.readFrom == .end {
            start = size
        }
        let source = pipeline.addSource(SourceInfo(path: path), startOffset: start)
        tailers.append(
            Tailer(path: path, identity: identity, fd: fd, source: source, offset: start, lastGrowth: now))
        statistics.filesDiscovered += 1
        if checkpoints[key] == nil || stale {
            // Known to a restart from now on, even if it is renamed out of the globs before the next interval: its
            // start offset is safe (nothing before it is to be read), and it is saved at the end of this round. A
            // stale checkpoint is replaced at once too: a restart that finds the inode under another name compares
            // the fingerprint, and the old file's would make it pass this one by.
            checkpoints[key] = Checkpoint(path: path, identity: identity, offset: start)
            checkpointsDirty = true
            saveSoon = true
        }
        logger.info("following file", metadata: ["path": "\(path)", "offset": "\(start)"])
        return true
    }

    /// At the first scan after a restart: a checkpointed file no glob matches any more may have been rotated to a
    /// name outside the globs while Weft was down, with bytes past its checkpoint. Look for it by inode in its
    /// directory and read it to its end.
    private mutating func resumeRotatedAway(seen: inout Set<FileKey>, now: Int64) {
        for (key, checkpoint) in checkpoints where !seen.contains(key) {
            let directory = Self.directory(of: checkpoint.path)
            guard let handle = opendir(directory) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                guard UInt64(entry.pointee.d_ino) == key.inode else { continue }
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                let path = directory + "/" + name
                var info = stat()
                guard stat(path, &info) == 0, UInt64(info.st_dev) == key.device, Int64(info.st_size) > checkpoint.offset
                else { break }
                let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
                guard fd >= 0 else { break }
                guard checkpoint.identity.matches(fd: fd, device: key.device, inode: key.inode) else {
                    close(fd)
                    break
                }
                let source = pipeline.addSource(SourceInfo(path: path), startOffset: checkpoint.offset)
                tailers.append(
                    Tailer(
                        path: path, identity: checkpoint.identity, fd: fd, source: source, offset: checkpoint.offset,
                        lastGrowth: now, rotatedAt: now))
                seen.insert(key)
                statistics.filesDiscovered += 1
                logger.info(
                    "file rotated while weft was stopped; reading it from its checkpoint",
                    metadata: ["was": "\(checkpoint.path)", "path": "\(path)", "offset": "\(checkpoint.offset)"])
                break
            }
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    // MARK: - Checkpoints

    /// Remembers where each file stands now, to be saved once the output acknowledges what was written before.
    private mutating func noteOffsets(now: Int64) {
        var entries: [Checkpoint] = []
        entries.reserveCapacity(tailers.count + releasedSinceNote.count)
        let settled = pipeline.settledOffsets()  // one pass over the pending records, not one per file
        for tailer in tailers {
            entries.append(Checkpoint(path: tailer.path, identity: tailer.identity, offset: settled[tailer.source]!))
        }
        entries.append(contentsOf: releasedSinceNote)
        releasedSinceNote.removeAll()
        if let last = marks.last, last.sequence == pipeline.lastSequence {
            // Nothing new was written: the newest mark moves on, keeping the files it named that are let go now.
            var merged: [FileKey: Checkpoint] = [:]
            for entry in last.entries + entries { merged[FileKey(device: entry.device, inode: entry.inode)] = entry }
            marks[marks.count - 1].entries = Array(merged.values)
        } else {
            marks.append((pipeline.lastSequence, now, entries))
        }
        if marks.count > 64 {
            // A slow output: keep fewer, later marks. The dropped mark's let-go files move to the next one, whose
            // acknowledgement covers theirs.
            let index = marks.count / 2
            let dropped = marks.remove(at: index)
            let named = Set(marks[index].entries.map { FileKey(device: $0.device, inode: $0.inode) })
            marks[index].entries += dropped.entries.filter {
                !named.contains(FileKey(device: $0.device, inode: $0.inode))
            }
        }
    }

    /// Moves the acknowledged marks into the saved checkpoints, and saves them when due (or `force`d).
    /// `lateBy`: how long after `now` this really is (a flush that waited), for the age of the oldest record only;
    /// the checkpoint interval keeps to the rounds' clock.
    private mutating func commitAcknowledged(now: Int64, force: Bool, lateBy: Int64 = 0) throws {
        let acknowledged = acknowledgements.acknowledged
        while let first = marks.first, first.sequence <= acknowledged {
            for entry in first.entries {
                let key = FileKey(device: entry.device, inode: entry.inode)
                if checkpoints[key] != entry {
                    checkpoints[key] = entry
                    checkpointsDirty = true
                }
            }
            marks.removeFirst()
        }
        statistics.oldestUnacknowledgedAge = marks.first.map { now + lateBy - $0.at } ?? 0
        guard checkpointsDirty, force || saveSoon || now >= nextCheckpointWrite else { return }
        saveSoon = false
        do {
            try store.save(Array(checkpoints.values))
            checkpointsDirty = false
            statistics.checkpointWrites += 1
        } catch {
            statistics.checkpointFailures += 1
            logger.error(
                "cannot write checkpoints; they are kept in memory and written again at the next interval",
                metadata: ["reason": "\(error)"])
            if force { throw error }
        }
        nextCheckpointWrite = now + configuration.checkpointInterval
    }

    // MARK: - Running

    /// Follows the files until SIGTERM or SIGINT, then shuts down (``shutdown(now:)``). `hangup` is called on SIGHUP
    /// (reopen an output file); `report` every `statsInterval` with the counters.
    public mutating func run(
        clock: any PipelineClock, signals: SignalSource, statsInterval: Int64? = nil,
        hangup: (inout Output) throws -> Void = { _ in },
        report: (CollectorStatistics, Pipeline, Output) -> Void = { _, _, _ in },
        isInterruption: (any Error) -> Bool = { _ in false },
        prepareShutdown: (inout Output, Int64) -> Void = { _, _ in }
    ) throws {
        var one = [self]
        defer { self = one[0] }
        try Self.run(
            &one, clock: clock, signals: signals, statsInterval: statsInterval, hangup: hangup,
            report: { report($1.statistics, $1.pipeline, $1.output) }, isInterruption: isInterruption,
            prepareShutdown: prepareShutdown)
    }

    /// Runs several collectors (one per source block of a configuration file) in turn on this thread until SIGTERM
    /// or SIGINT, then shuts each down. Each has its own pipeline, output and checkpoints; they share the signals,
    /// the wait and the deadline of the shutdown. `report` gets each collector's index and the collector. At shutdown,
    /// collectors whose output `goesFirst` (one that left a record half written on a shared descriptor) shut down
    /// before the others.
    public static func run(
        _ collectors: inout [Self], clock: any PipelineClock, signals: SignalSource, statsInterval: Int64? = nil,
        hangup: (inout Output) throws -> Void = { _ in },
        report: (Int, Self) -> Void = { _, _ in },
        isInterruption: (any Error) -> Bool = { _ in false },
        prepareShutdown: (inout Output, Int64) -> Void = { _, _ in },
        goesFirst: (Output) -> Bool = { _ in false }
    ) throws {
        var nextReport = statsInterval.map { clock.now() + $0 } ?? .max
        var nextPublish = Int64.min
        var started = false
        loop: while signals.received() == nil {
            collectors.first?.heartbeat?.beat()
            if signals.take(SIGHUP) > 0 {
                for index in collectors.indices { try hangup(&collectors[index].output) }
            }
            let now = clock.now()
            var busy = false
            for index in collectors.indices {
                do {
                    if try collectors[index].step(now: now) { busy = true }
                } catch  where isInterruption(error) {
                    continue loop  // a signal arrived while the output was full: see which one
                }
            }
            if !started {
                started = true
                for collector in collectors { collector.heartbeat?.started = true }
            }
            if now >= nextPublish || now < nextPublish - 1_000_000_000 {
                for index in collectors.indices { collectors[index].publishMetrics() }
                nextPublish = now + 1_000_000_000
            }
            if let statsInterval, now >= nextReport || now < nextReport - statsInterval {  // or the clock went back
                for (index, collector) in collectors.enumerated() { report(index, collector) }
                nextReport = now + statsInterval
            }
            if busy { continue }
            var wake = min(now + 60_000_000_000, nextReport)
            var watched = [pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)]
            for collector in collectors {
                wake = min(wake, collector.wakeTime(now: now))
                if let fd = collector.wakeDescriptor {
                    watched.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
                }
            }
            let milliseconds = Int32(clamping: max(0, (wake - now + 999_999) / 1_000_000))
            _ = poll(&watched, nfds_t(watched.count), milliseconds)
        }
        let deadline = MonotonicClock.now() + (collectors.map(\.configuration.shutdownTimeout).max() ?? 0)
        var failure: (any Error)?
        let order =
            collectors.indices.filter { goesFirst(collectors[$0].output) }
            + collectors.indices.filter { !goesFirst(collectors[$0].output) }
        for index in order {
            let timeout = max(0, deadline - MonotonicClock.now())
            prepareShutdown(&collectors[index].output, timeout)
            do {
                try collectors[index].shutdown(now: clock.now(), deadline: deadline)
            } catch {
                failure = failure ?? error  // the others still shut down and save their checkpoints
            }
            collectors[index].publishMetrics()
        }
        if let failure { throw failure }
    }

    /// When this collector next has something to do without new input: a glob scan, a poll for growth, a flush
    /// timeout, an output's batch, a checkpoint write.
    func wakeTime(now: Int64) -> Int64 {
        var wake = min(nextScan, now + configuration.pollInterval)
        if let deadline = pipeline.nextDeadline { wake = min(wake, deadline) }
        if let delay = output.flushDelay { wake = min(wake, now + delay) }
        if checkpointsDirty { wake = min(wake, nextCheckpointWrite) }
        return wake
    }

    mutating func publishMetrics() {
        metrics?.publish(statistics, pipeline: pipeline)
        metrics?.publish(outputWaits, at: stopwatch())
        noteBoundsReached()
    }

    /// Counts of bounds reached, as last told to the operator.
    private var boundsTold = (records: [Int](repeating: 0, count: FlushReason.allCases.count), lines: 0, waiting: 0)

    /// Tells the operator (once a second at most, and rate-limited by the log) when a bound cut records short or
    /// files wait for a place: the configuration may need a look.
    public mutating func noteBoundsReached() {
        let engine = pipeline.engine.statistics
        for reason in [FlushReason.bufferFull, .maxLines, .maxBytes] {
            let count = engine.recordsByReason[Int(reason.rawValue)]
            let before = boundsTold.records[Int(reason.rawValue)]
            guard count > before else { continue }
            boundsTold.records[Int(reason.rawValue)] = count
            let bound =
                switch reason {
                case .bufferFull: "max_buffer_bytes (records left early to make room)"
                case .maxLines: "max_lines (records cut)"
                default: "max_bytes (records cut)"
                }
            logger.warning("a bound was reached", metadata: ["bound": "\(bound)", "records": "\(count - before)"])
        }
        let truncated = pipeline.statistics.truncatedLines
        if truncated > boundsTold.lines {
            logger.warning(
                "a bound was reached",
                metadata: ["bound": "max_line_bytes (lines cut)", "lines": "\(truncated - boundsTold.lines)"])
            boundsTold.lines = truncated
        }
        if statistics.filesWaiting > 0 && statistics.filesWaiting != boundsTold.waiting {
            logger.warning(
                "a bound was reached",
                metadata: ["bound": "max_open_files (files wait their turn)", "waiting": "\(statistics.filesWaiting)"])
        }
        boundsTold.waiting = statistics.filesWaiting
    }

    /// Stops: pending records leave (`shutdown`), the output is flushed, its acknowledgements awaited up to the
    /// shutdown timeout, and the checkpoints written. The files stay where they are for the next start.
    ///
    /// - Parameter deadline: a ``WeftIO/MonotonicClock`` time by which to give up waiting (default: the shutdown
    ///   timeout from now); the output's own flush counts against it.
    public mutating func shutdown(now: Int64, deadline: Int64? = nil) throws {
        let deadline = deadline ?? MonotonicClock.now() + configuration.shutdownTimeout
        do {
            try pipeline.finish(now: now, reason: .shutdown, into: &output)
            try output.flush()
        } catch {
            // An output that cannot take the last records (gone, or still full at the deadline): what it did not
            // acknowledge stays before the checkpoints, to be read again at the next start.
            logger.warning(
                "the output did not take the last records; their files' checkpoints stay before them",
                metadata: ["reason": "\(error)"])
        }
        noteOffsets(now: now)
        while acknowledgements.acknowledged < pipeline.lastSequence && MonotonicClock.now() < deadline {
            if acknowledgements.failure != nil { break }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
        if acknowledgements.acknowledged < pipeline.lastSequence {
            logger.warning(
                "the output did not acknowledge every record in time; their files' checkpoints stay before them")
        }
        try commitAcknowledged(now: now, force: true)
        for tailer in tailers { close(tailer.fd) }
        tailers.removeAll()
        statistics.filesOpen = 0
    }
}
