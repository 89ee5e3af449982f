import WeftCore

#if canImport(Glibc)
    import Glibc
#endif

/// The repository's root directory, found from this source file's path: tests read the committed `Samples/` and
/// `Parsers/` from there.
public let repositoryRoot: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Sources/WeftTestSupport/WeftTestSupport.swift
    return parts.joined(separator: "/")
}()

/// A clock tests move by hand: no sleeps, no flaky timing.
public struct ManualClock: Sendable {
    public private(set) var now: Int64

    public init(start: Int64 = 1_700_000_000_000_000_000) { now = start }

    public mutating func advance(byMilliseconds ms: Int64) { now += ms * 1_000_000 }
    public mutating func advance(bySeconds s: Int64) { now += s * 1_000_000_000 }
}

/// A finished record copied out of the engine, for assertions.
public struct CollectedRecord: Equatable, Sendable, CustomStringConvertible {
    public var body: String
    public var bodyBytes: [UInt8]
    public var source: SourceID
    public var stream: LogStream
    public var time: Int64
    public var lineCount: Int
    public var parser: String?
    public var flushReason: FlushReason
    public var truncated: Bool
    public var malformed: Bool
    public var continuation: Bool
    public var range: ByteRange
    public var sequence: UInt64

    public var description: String {
        "[\(parser ?? "-") \(lineCount) \(flushReason)\(truncated ? " truncated" : "")] \(body.debugDescription)"
    }
}

/// A ``RecordOutput`` that keeps copies of every record, in order, and of every source description it was given.
public struct CollectingSink: RecordOutput {
    public var records: [CollectedRecord] = []
    /// What the pipeline said of each source, latest last.
    public var described: [(source: SourceID, info: SourceInfo)] = []
    public var released: [SourceID] = []
    /// Told, at each flush, that every record written so far is durable.
    public let acknowledgements: Acknowledgements?
    private var lastSequence: UInt64 = 0

    public init(acknowledgements: Acknowledgements? = nil) {
        self.acknowledgements = acknowledgements
    }

    public mutating func flush() {
        acknowledgements?.acknowledge(through: lastSequence)
    }

    public mutating func describe(_ source: SourceID, as info: SourceInfo) {
        described.append((source, info))
    }

    public mutating func release(_ source: SourceID) {
        released.append(source)
    }

    /// The latest description of `source` before it was released.
    public func info(of source: SourceID) -> SourceInfo? { described.last { $0.source == source }?.info }

    public mutating func write(_ record: Record) {
        lastSequence = record.sequence
        let bytes = Array(record.body)
        records.append(
            CollectedRecord(
                body: String(decoding: bytes, as: UTF8.self), bodyBytes: bytes, source: record.source,
                stream: record.stream, time: record.time, lineCount: record.lineCount, parser: record.parser,
                flushReason: record.flushReason, truncated: record.truncated, malformed: record.malformed,
                continuation: record.continuation, range: record.range, sequence: record.sequence))
    }

    /// The bodies, in order.
    public var bodies: [String] { records.map(\.body) }
}

extension LogLine {
    /// Calls `body` with a line built from `text` (tests only: allocates).
    public static func with<R>(
        _ text: String, source: SourceID = 0, stream: LogStream = .unknown, time: Int64 = Timestamp.none,
        isPartial: Bool = false, flags: LineFlags = [], _ body: (LogLine) throws -> R
    ) rethrows -> R {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { raw in
            try body(LogLine(source: source, stream: stream, time: time, text: raw, isPartial: isPartial, flags: flags))
        }
    }
}

/// A small seeded generator (SplitMix64), so that a random test repeats exactly and a failing case can be replayed
/// from its seed.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A readable page followed by an inaccessible one, for testing scans that read whole blocks: bytes placed at the end
/// of the readable page are followed by memory that crashes the test when touched.
public final class GuardedPage {
    private let region: UnsafeMutableRawPointer
    private let pageSize: Int

    /// Fails (nil) only if the system refuses the mapping or the protection.
    public init?() {
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let mapped = mmap(nil, 2 * pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != MAP_FAILED
        else { return nil }
        region = mapped
        guard mprotect(region + pageSize, pageSize, PROT_NONE) == 0 else {
            munmap(region, 2 * pageSize)
            return nil
        }
    }

    deinit { munmap(region, 2 * pageSize) }

    /// Copies `bytes` so that their last byte is the last readable one, and returns where they are now.
    public func placeAtEnd(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
        precondition(bytes.count <= pageSize)
        let start = region + pageSize - bytes.count
        bytes.withUnsafeBytes { if let base = $0.baseAddress { start.copyMemory(from: base, byteCount: $0.count) } }
        return UnsafeRawBufferPointer(start: start, count: bytes.count)
    }
}

/// `name{labels}` → value, from metrics in the Prometheus text format (comments skipped).
public func prometheusSamples(_ text: String) -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            continue
        }
        samples[String(line[..<space])] = value
    }
    return samples
}

/// Whether the tests run under a sanitizer (`WEFT_SANITIZER=address` or `thread`, set by scripts/sanitize.sh).
///
/// A sanitized process keeps shadow memory and a quarantine of freed blocks, so its resident set says nothing about
/// Weft's bounds: tests that measure a process's memory skip only that assertion then (every other one still holds),
/// and the unsanitized run checks the bounds.
public let memoryIsMeasurable: Bool = !sanitized

/// Whether the tests run under a sanitizer (`WEFT_SANITIZER`): a sanitized Weft runs several times slower, so a test
/// that waits for a process to get somewhere gives it ``patience`` times as long (what it waits for must still
/// happen: a line that is lost stays lost however long the wait).
public let sanitized: Bool = getenv("WEFT_SANITIZER") != nil

/// How many times longer a process test waits under a sanitizer.
public let patience: Double = sanitized ? 4 : 1
