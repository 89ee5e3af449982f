import WeftCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The prefix layer between decoding and the engine: takes apart what a tool adds to each line when it prints logs to
/// a pipe, and says which prefix stream a line belongs to.
///
/// `kubectl logs --prefix` writes `[pod/api-7d9/app] `, `docker compose logs` writes `web-1  | `, `stern` writes
/// `api-7d9-x2x4q app `, `journalctl` writes `2026-03-14T09:00:00+0000 host unit[42]: `: several sources interleaved
/// on one pipe, each line tagged. The layer strips the prefix (and a timestamp after it) from the text, puts the time
/// in ``WeftCore/LogLine/time`` and hands back the bytes that name the line's stream (its *key*: `pod/api-7d9/app`),
/// which the pipeline turns into a lane (``WeftCore/LogLine/lane``) so the engine keeps one pending record per prefix
/// stream, and the attributes the key stands for (``resource(forKey:format:)``).
///
/// ```swift
/// var prefixes = PrefixDecoder(format: .auto)
/// prefixes.push(decodedLine, now: now) { prefixed in
///     var line = prefixed.line
///     if let key = prefixed.key { line.lane = lanes.id(for: key) }  // new keys are described to the output
///     engine.push(line, now: prefixed.now, into: &output)
/// }
/// ```
///
/// Detection (``LogFormat/auto``) never guesses on one ambiguous line. Every line is matched against the strict shape
/// of each format; the formats every line so far matched are kept. A `[pod/…/…] ` prefix and a journal JSON object
/// decide at once (no plain log looks like them); the other shapes need three agreeing lines, which are held (copied)
/// until then. A line that matches none of the shapes still possible decides `plain`, and the lines held so far leave
/// as they were written. Fewer than three lines at a flush timeout or at the end of the input are plain too: a plain
/// log whose lines merely start with a timestamp stays plain unless its first three lines all have the exact
/// `RFC3339Nano` shape with nine fractional digits. The strict shapes are in PrefixDecoder-shapes.swift.
///
/// Once a format is decided, a line that does not have its shape is passed on raw, marked ``WeftCore/LineFlags/malformed``.
/// ANSI escape sequences (colours a tool was told to force on) are removed before detection and parsing.
///
/// - Important: the lines handed to `emit` point into the layer's buffers (or the line pushed); they are valid only
///   during the call.
public struct PrefixDecoder: @unchecked Sendable {
    // @unchecked for the same reason as LineDecoder: RawBuffer's storage is a class that copies share, and every
    // write goes through `makeUnique()` first.

    /// What the layer hands on for each line: the line without its prefix, the bytes that name its prefix stream
    /// (nil when the format has none, or the line is malformed), the format that took it apart, and the time it
    /// arrived.
    public struct Prefixed {
        public var line: LogLine
        public var key: UnsafeRawBufferPointer?
        public var format: LogFormat
        public var now: Int64
    }

    /// The format asked for: ``LogFormat/auto`` or one of the prefixed formats.
    public let format: LogFormat
    /// The format lines are taken apart as; nil while detecting, ``LogFormat/plain`` when nothing was recognised.
    public private(set) var decided: LogFormat?
    /// Lines that did not have the decided format's shape.
    public private(set) var malformedCount = 0
    /// Whether a timestamp follows the prefix (`kubectl --prefix --timestamps`, `compose -t`, `stern --timestamps`).
    var timestampAfterPrefix = false
    /// The year of journal times that have none (`short`, `short-precise`).
    let year: Int64
    var dayCache = RFC3339.DayCache()
    /// Where a line without its ANSI sequences, or a journal `MESSAGE` unescaped, is written.
    var scratch = RawBuffer(capacity: 256)
    /// Where a journal JSON line's key is assembled, or a journal line's key kept for the lines that continue it.
    var keyScratch = RawBuffer(capacity: 64)
    /// The width of the last journal line's prefix (journalctl indents the later lines of a message by it) and its
    /// time; 0 when there is none.
    var journalIndent = 0
    var journalTime = Timestamp.none
    /// Lines held while detecting, and what each one was.
    private var held = RawBuffer(capacity: 0)
    private var heldLines: [Held] = []
    /// The shapes every held line had.
    private var shapes: Shapes = []

    private struct Held {
        var start: Int
        var count: Int
        var source: SourceID
        var flags: LineFlags
        var range: ByteRange
        var now: Int64
    }

    /// Agreeing lines needed to decide a shape another log could have by chance.
    public static let linesToDecide = 3

    /// Creates the layer for one source.
    ///
    /// - Parameter year: the year for journal times printed without one (`journalctl -o short`).
    public init(format: LogFormat, year: Int64 = 1970) {
        self.format = format
        self.year = year
        decided = format == .auto ? nil : format
        if format == .journalJSON || format == .auto {
            keyScratch.makeUnique()
        }
    }

    /// Whether lines are held while the format is being detected.
    public var isHolding: Bool { !heldLines.isEmpty }
    /// When the first held line arrived (the flush timeout counts from it), or nil.
    public var heldSince: Int64? { heldLines.first?.now }
    /// The caller's clock stepped by `delta` nanoseconds: held lines keep their age in the new time.
    public mutating func clockStepped(by delta: Int64) {
        for index in heldLines.indices { heldLines[index].now &+= delta }
    }

    /// The input offset of the first held line (a checkpoint must not pass it), or nil.
    public var heldStart: Int64? { heldLines.first?.range.start }

    /// Takes one decoded line (plain text to the ``LineDecoder``) and hands on the lines it completes: none while
    /// detecting, the held ones and this one once decided.
    public mutating func push<E: Error>(
        _ line: LogLine, now: Int64, _ emit: (Prefixed) throws(E) -> Void
    ) throws(E) {
        switch decided {
        case .plain:
            try emit(Prefixed(line: line, key: nil, format: .plain, now: now))
        case .some(let format):
            try emit(take(line, as: format, now: now))
        case nil:
            try detect(line, now: now, emit)
        }
    }

    /// The line taken apart by the decided format, without a closure: the hot path once a prefixed format is decided
    /// (``decided`` is neither nil nor ``LogFormat/plain``).
    @inline(__always)
    public mutating func take(_ line: LogLine, now: Int64) -> Prefixed {
        take(line, as: decided!, now: now)
    }

    /// Decides with what is held (fewer than ``linesToDecide`` ambiguous lines: plain) and hands the held lines on:
    /// at a flush timeout, or when the input ends.
    public mutating func flush<E: Error>(_ emit: (Prefixed) throws(E) -> Void) throws(E) {
        guard decided == nil else { return }
        decided = .plain
        try release(emit)
    }

    // MARK: - Detection

    private mutating func detect<E: Error>(_ line: LogLine, now: Int64, _ emit: (Prefixed) throws(E) -> Void) throws(E)
    {
        if heldLines.isEmpty && Self.isBlank(line.text) {
            // Blank lines before the first real one say nothing about the format.
            try emit(Prefixed(line: line, key: nil, format: .plain, now: now))
            return
        }
        let text = withoutEscapes(line.text)
        let lineShapes = shapes(of: text)
        let agreed = heldLines.isEmpty ? lineShapes : shapes.intersection(lineShapes)
        guard !agreed.subtracting(.timestampAfterPrefix).isEmpty else {
            decided = .plain
            try release(emit)
            try emit(Prefixed(line: line, key: nil, format: .plain, now: now))
            return
        }
        shapes = agreed
        hold(line, now: now)
        if !agreed.intersection(.unambiguous).isEmpty || heldLines.count >= Self.linesToDecide {
            decided = agreed.format
            timestampAfterPrefix = agreed.contains(.timestampAfterPrefix)
            try release(emit)
        }
    }

    private mutating func hold(_ line: LogLine, now: Int64) {
        held.makeUnique()
        let start = held.count
        if let base = line.text.baseAddress { held.write(base, count: line.text.count) }
        heldLines.append(
            Held(
                start: start, count: line.text.count, source: line.source, flags: line.flags, range: line.range,
                now: now))
    }

    /// Hands on the held lines as the decided format reads them.
    private mutating func release<E: Error>(_ emit: (Prefixed) throws(E) -> Void) throws(E) {
        guard !heldLines.isEmpty else { return }
        let lines = heldLines
        let bytes = held  // keeps the bytes while `take` writes the scratch buffer
        heldLines.removeAll()
        held = RawBuffer(capacity: 0)
        for entry in lines {
            let line = LogLine(
                source: entry.source, stream: .unknown,
                text: UnsafeRawBufferPointer(start: bytes.base + entry.start, count: entry.count), flags: entry.flags,
                range: entry.range)
            if decided == .plain {
                try emit(Prefixed(line: line, key: nil, format: .plain, now: entry.now))
            } else {
                try emit(take(line, as: decided!, now: entry.now))
            }
        }
        withExtendedLifetime(bytes) {}
    }

    // MARK: - Decided

    /// The line taken apart as `format`, or passed on raw and marked malformed.
    private mutating func take(_ line: LogLine, as format: LogFormat, now: Int64) -> Prefixed {
        var line = line
        if format == .journalJSON {
            guard let (text, time, key, invalid) = journalJSON(line.text) else { return malformed(line, now: now) }
            line.text = text
            line.time = time
            if invalid { line.flags.insert(.invalidUTF8) }
            return Prefixed(line: line, key: key, format: format, now: now)
        }
        let text = withoutEscapes(line.text)
        guard let cut = parse(text, as: format, strict: false) else {
            if format == .journal, continuesJournalMessage(text) {
                // A later line of a message of several lines: the stream and time of the line that began it.
                line.text = UnsafeRawBufferPointer(rebasing: text[Swift.min(journalIndent, text.count)...])
                line.time = journalTime
                let key = UnsafeRawBufferPointer(start: keyScratch.base, count: keyScratch.count)
                return Prefixed(line: line, key: key, format: format, now: now)
            }
            journalIndent = 0
            return malformed(line, now: now)
        }
        line.text = UnsafeRawBufferPointer(rebasing: text[cut.content...])
        if cut.time != Timestamp.none { line.time = cut.time }
        let key = cut.key.map { UnsafeRawBufferPointer(rebasing: text[$0]) }
        if format == .journal, let key { rememberJournalLine(key: key, indent: cut.content, time: cut.time) }
        return Prefixed(line: line, key: key, format: format, now: now)
    }

    // MARK: - Journal messages of several lines

    /// journalctl prints the later lines of a message indented by the width of the first line's prefix
    /// (`2026-03-14T09:00:00+0000 host app[42]: `): whether `text` is such a line of the last journal line's message.
    func continuesJournalMessage(_ text: UnsafeRawBufferPointer) -> Bool {
        guard journalIndent > 0 else { return false }
        let spaces = Swift.min(journalIndent, text.count)
        // A line of the message that was empty may have lost its trailing spaces.
        guard spaces == journalIndent || spaces == text.count else { return false }
        for k in 0..<spaces where text[k] != 0x20 { return false }
        return true
    }

    mutating func rememberJournalLine(key: UnsafeRawBufferPointer, indent: Int, time: Int64) {
        keyScratch.removeSuffix(from: 0)
        keyScratch.makeUnique()
        if let base = key.baseAddress { keyScratch.write(base, count: key.count) }
        journalIndent = indent
        journalTime = time
    }

    private mutating func malformed(_ line: LogLine, now: Int64) -> Prefixed {
        malformedCount += 1
        var line = line
        line.flags.insert(.malformed)
        return Prefixed(line: line, key: nil, format: .plain, now: now)
    }

    // MARK: - ANSI escape sequences

    /// `text` without ANSI escape sequences (CSI such as colours `ESC [ 1;31 m`, and two-byte escapes); `text` itself
    /// when it has none.
    @inline(__always)
    mutating func withoutEscapes(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let base = text.baseAddress, memchr(base, 0x1B, text.count) != nil else { return text }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = text.count
        scratch.removeSuffix(from: 0)
        scratch.makeUnique()
        scratch.reserve(n)
        let out = scratch.base.assumingMemoryBound(to: UInt8.self)
        var i = 0
        var written = 0
        while i < n {
            let b = p[i]
            guard b == 0x1B else {
                out[written] = b
                written += 1
                i += 1
                continue
            }
            i += 1
            guard i < n else { break }
            if p[i] == UInt8(ascii: "[") {
                i += 1
                // Parameter and intermediate bytes, then one final byte.
                while i < n, p[i] >= 0x20, p[i] <= 0x3F { i += 1 }
                if i < n, p[i] >= 0x40, p[i] <= 0x7E { i += 1 }
            } else {
                i += 1
            }
        }
        return UnsafeRawBufferPointer(start: scratch.base, count: written)
    }

    static func isBlank(_ text: UnsafeRawBufferPointer) -> Bool {
        text.allSatisfy { JSONScanner.isWhitespace($0) }
    }
}
