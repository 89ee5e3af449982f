import Foundation
import WeftCore
import WeftDecoding
import WeftJoin
import WeftMultiline

/// The benchmark inputs: files written by `Benchmarks/generate.py` (the same generator the end-to-end runner uses),
/// read whole into memory before any measurement, and the per-stage tables derived from them.
///
/// The files live in the repository's gitignored `bench-data/` (or `$WEFT_BENCH_DATA`) as `micro-<format>-<MiB>.log`,
/// and are generated on first use: `generate.py` is deterministic, so every run measures the same bytes. The size is
/// `$WEFT_MICRO_MB` MiB of plain text (default 16); Docker and CRI renderings of the same lines are larger.
enum Inputs {
    /// The repository root, found from this file's path (…/Benchmarks/Benchmarks/WeftStages/Inputs.swift).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let megabytes: Int = Int(ProcessInfo.processInfo.environment["WEFT_MICRO_MB"] ?? "") ?? 16

    static var dataDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["WEFT_BENCH_DATA"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return repositoryRoot.appendingPathComponent("bench-data")
    }

    /// The bytes of a generated input, generating it first if it is missing.
    ///
    /// - Parameters:
    ///   - format: `plain`, `docker`, `containerd` or `crio` (generate.py's formats).
    ///   - longEvery: one line of 17–48 KiB every this many records (generate.py's `--long-every`; its default is
    ///     5000). Lower values make a Docker input whose lines are mostly 16 KiB chunks, for the joiner.
    static func bytes(_ format: String, longEvery: Int = 5000) -> [UInt8] {
        let suffix = longEvery == 5000 ? "" : "-long\(longEvery)"
        let file = dataDirectory.appendingPathComponent("micro-\(format)-\(megabytes)\(suffix).log")
        if !FileManager.default.fileExists(atPath: file.path) {
            generate(format, longEvery: longEvery, to: file)
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            fatalError("cannot read \(file.path)")
        }
        return [UInt8](data)
    }

    private static func generate(_ format: String, longEvery: Int, to file: URL) {
        try? FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let script = repositoryRoot.appendingPathComponent("Benchmarks/generate.py").path
        let partial = file.path + ".partial"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, format, String(megabytes), partial, "--long-every", String(longEvery),
        ]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        do {
            try process.run()
        } catch {
            fatalError("cannot run \(script): \(error)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { fatalError("\(script) \(format) failed") }
        do {
            try FileManager.default.moveItem(atPath: partial, toPath: file.path)
        } catch {
            fatalError("cannot move \(partial) into place: \(error)")
        }
    }
}

/// A buffer cut into lines (without their `\n`) ahead of time, so a stage after framing is measured alone.
struct LineTable: Sendable {
    let bytes: [UInt8]
    let starts: [Int]
    let lengths: [Int]

    init(_ bytes: [UInt8]) {
        var starts: [Int] = []
        var lengths: [Int] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            starts.append(start)
            lengths.append(index - start)
            start = index + 1
        }
        if start < bytes.count {
            starts.append(start)
            lengths.append(bytes.count - start)
        }
        self.bytes = bytes
        self.starts = starts
        self.lengths = lengths
    }

    var count: Int { starts.count }

    /// Calls `body` with every line, in order, as a slice of ``bytes``.
    @inline(__always)
    func forEach(_ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { all in
            let base = all.baseAddress!
            for index in starts.indices {
                body(UnsafeRawBufferPointer(start: base + starts[index], count: lengths[index]))
            }
        }
    }
}

/// Decoded lines kept in an arena: the decoder's output, owned, so the joiner and the engine can be measured without
/// decoding in the loop.
struct DecodedTable: Sendable {
    struct Entry: Sendable {
        var offset: Int
        var count: Int
        var time: Int64
        var stream: UInt8
        var isPartial: Bool
        var flags: UInt8
    }

    var arena: [UInt8] = []
    var entries: [Entry] = []

    /// Decodes every line of `lines` as `format`.
    init(_ lines: LineTable, format: LogFormat) {
        var decoder = LineDecoder(format: format, source: 0)
        var arena: [UInt8] = []
        var entries: [Entry] = []
        arena.reserveCapacity(lines.bytes.count)
        entries.reserveCapacity(lines.count)
        lines.forEach { physical in
            let line = decoder.decode(physical, flags: [])
            entries.append(
                Entry(
                    offset: arena.count, count: line.text.count, time: line.time, stream: line.stream.rawValue,
                    isPartial: line.isPartial, flags: line.flags.rawValue))
            arena.append(contentsOf: line.text)
        }
        self.arena = arena
        self.entries = entries
    }

    /// Joined, whole lines: what the joiner passes on (the engine's input).
    init(joining decoded: DecodedTable) {
        var joiner = PartialJoiner()
        var arena: [UInt8] = []
        var entries: [Entry] = []
        arena.reserveCapacity(decoded.arena.count)
        decoded.forEach { line in
            joiner.push(line, now: 0) { whole in
                entries.append(
                    Entry(
                        offset: arena.count, count: whole.text.count, time: whole.time, stream: whole.stream.rawValue,
                        isPartial: false, flags: whole.flags.rawValue))
                arena.append(contentsOf: whole.text)
            }
        }
        self.arena = arena
        self.entries = entries
    }

    var count: Int { entries.count }
    var byteCount: Int { arena.count }

    @inline(__always)
    func forEach(_ body: (LogLine) -> Void) {
        arena.withUnsafeBytes { all in
            let base = all.baseAddress!
            for entry in entries {
                body(
                    LogLine(
                        source: 0, stream: LogStream(rawValue: entry.stream) ?? .unknown, time: entry.time,
                        text: UnsafeRawBufferPointer(start: base + entry.offset, count: entry.count),
                        isPartial: entry.isPartial, flags: LineFlags(rawValue: entry.flags)))
            }
        }
    }
}

/// Records as the engine emits them, kept in an arena, for measuring the encoder alone.
struct RecordTable: Sendable {
    struct Entry: Sendable {
        var offset: Int
        var count: Int
        var stream: UInt8
        var time: Int64
        var observedTime: Int64
        var lineCount: Int
        var parser: String?
        var reason: UInt8
        var truncated: Bool
    }

    private(set) var arena: [UInt8] = []
    private(set) var entries: [Entry] = []

    /// Runs `lines` through a multiline engine with every built-in parser and keeps what comes out.
    init(_ lines: DecodedTable, parsers: ParserSet) {
        var engine = MultilineEngine(parsers: parsers)
        var capture = Capture()
        var now: Int64 = 1_764_392_400_000_000_000
        lines.forEach { line in
            now += 1_000
            engine.push(line, now: now, into: &capture)
        }
        engine.finish(into: &capture)
        arena = capture.arena
        entries = capture.entries
    }

    var count: Int { entries.count }
    var bodyBytes: Int { arena.count }

    @inline(__always)
    func forEach(_ body: (Record) -> Void) {
        arena.withUnsafeBytes { all in
            let base = all.baseAddress!
            for entry in entries {
                body(
                    Record(
                        source: 0, stream: LogStream(rawValue: entry.stream) ?? .unknown, time: entry.time,
                        observedTime: entry.observedTime,
                        body: UnsafeRawBufferPointer(start: base + entry.offset, count: entry.count),
                        lineCount: entry.lineCount, parser: entry.parser,
                        flushReason: FlushReason(rawValue: entry.reason) ?? .nextRecord, truncated: entry.truncated))
            }
        }
    }

    private struct Capture: RecordOutput {
        var arena: [UInt8] = []
        var entries: [Entry] = []

        mutating func write(_ record: Record) {
            entries.append(
                Entry(
                    offset: arena.count, count: record.body.count, stream: record.stream.rawValue, time: record.time,
                    observedTime: record.observedTime, lineCount: record.lineCount, parser: record.parser,
                    reason: record.flushReason.rawValue, truncated: record.truncated))
            arena.append(contentsOf: record.body)
        }
    }
}

/// An output that only counts (the engine's cost without an output).
struct CountingOutput: RecordOutput {
    var records = 0
    var bytes = 0

    @inline(__always)
    mutating func write(_ record: Record) {
        records += 1
        bytes += record.body.count
    }
}
