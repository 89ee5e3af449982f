import WeftCore

/// What the engine keeps of one line taken on trial (a `tentative` rule), to read it again as it was if the trial
/// fails: where it ends in the record's body, and its own metadata.
struct TrialLine {
    /// Bytes of its text in the body (after any cut at the record's byte bound).
    var length: Int
    var time: Int64
    var flags: LineFlags
    var range: ByteRange
    /// When it arrived (the engine clock).
    var now: Int64
}

/// One (source, stream) of the engine: its state machine's position and its pending record.
struct Slot {
    var key: StreamKey
    var lines = 0
    /// -1 while the record is an ordinary held line.
    var parser: Int32 = -1
    var state: Int32 = -1
    var time = Timestamp.none
    var observed: Int64 = 0
    /// When the last line arrived (the engine clock), and its log time (`Timestamp.none` if it had none): the gap to
    /// the next line is what the burst window judges.
    var lastSeen: Int64 = 0
    var lastTime = Timestamp.none
    /// The parser and state of a trace the flush timeout ended, until the stream's next line: if that line can only
    /// continue the trace (a strong rule of that state takes it), it resumes it in a `continuation` record.
    var resumeParser: Int32 = -1
    var resumeState: Int32 = -1
    var truncated = false
    var malformed = false
    var continuation = false
    /// The input bytes of the record's lines.
    var range = ByteRange.zero
    /// Body length, line count, range end and cut mark before the lines taken on trial (`tentative` rules).
    var committedBytes = 0
    var committedLines = 0
    var committedEnd: Int64 = 0
    var committedTruncated = false

    init(key: StreamKey) { self.key = key }
    var hasTentative: Bool { committedLines < lines }

    /// Back to "no record" (after the record left).
    mutating func clear() {
        lines = 0
        parser = -1
        state = -1
        committedBytes = 0
        committedLines = 0
        truncated = false
        malformed = false
        continuation = false
    }
}

/// Everything the engine holds for one (source, stream), in one value.
///
/// The hot path reads `slot` (plain values: copying it retains nothing) and writes `body` in place; it never copies a
/// whole `Stream`, which would retain the body's storage and the trial array.
struct Stream {
    var slot: Slot
    /// The pending record's bytes: its lines joined with `\n`.
    var body: RawBuffer
    /// The lines at the end of the body taken on trial, in order (empty unless a tentative rule took a line).
    var trial: [TrialLine] = []

    init(key: StreamKey) {
        slot = Slot(key: key)
        body = RawBuffer(capacity: MultilineEngine.initialBodyCapacity)
    }
}

/// The engine's open streams, found by key, with a one-entry cache for runs of lines from the same stream.
struct StreamTable {
    private(set) var all: [Stream] = []
    private var index: [StreamKey: Int] = [:]
    private var lastKey = StreamKey(source: .max, stream: .unknown)
    private var lastIndex = -1

    var count: Int { all.count }
    var indices: Range<Int> { all.indices }

    subscript(position: Int) -> Stream {
        _read { yield all[position] }
        _modify { yield &all[position] }
    }

    /// The position of `key`'s stream, or nil.
    @inline(__always)
    mutating func position(of key: StreamKey) -> Int? {
        if key == lastKey { return lastIndex }
        guard let found = index[key] else { return nil }
        lastKey = key
        lastIndex = found
        return found
    }

    /// Adds a stream for `key` (not yet present) and returns its position.
    mutating func add(_ key: StreamKey) -> Int {
        all.append(Stream(key: key))
        index[key] = all.count - 1
        lastKey = key
        lastIndex = all.count - 1
        return all.count - 1
    }

    /// Forgets every stream holding no record, optionally only those of one source.
    mutating func removeIdle(of source: SourceID? = nil) {
        let before = all.count
        all.removeAll { $0.slot.lines == 0 && (source == nil || $0.slot.key.source == source) }
        guard all.count != before else { return }
        index.removeAll(keepingCapacity: all.count > 64)
        for (position, stream) in all.enumerated() { index[stream.slot.key] = position }
        lastKey = StreamKey(source: .max, stream: .unknown)
        lastIndex = -1
    }

    /// The stream holding a record that has been quiet for longest, other than `spared`.
    func quietestPending(sparing spared: Int?) -> Int? {
        var oldest: Int?
        for position in all.indices where position != spared && all[position].slot.lines > 0 {
            if oldest == nil || all[position].slot.lastSeen < all[oldest!].slot.lastSeen { oldest = position }
        }
        return oldest
    }
}

extension MultilineEngine {
    /// The position of `key`'s stream, opening it (and making room first, within ``MultilineConfiguration/maxStreams``)
    /// if it is new.
    @inline(__always)
    mutating func stream<O: RecordOutput>(for key: StreamKey, into output: inout O) throws(O.Failure) -> Int {
        if let found = streams.position(of: key) { return found }
        if streams.count >= configuration.maxStreams { try evict(into: &output) }
        return streams.add(key)
    }

    /// Makes room for a new stream: forgets idle streams, and if every stream holds a record, flushes the one quiet
    /// for longest.
    private mutating func evict<O: RecordOutput>(into output: inout O) throws(O.Failure) {
        if !streams.all.contains(where: { $0.slot.lines == 0 }), let oldest = streams.quietestPending(sparing: nil) {
            while streams[oldest].slot.lines > 0 {
                try end(oldest, reason: .bufferFull, why: "too many open streams", into: &output)
            }
        }
        streams.removeIdle()
    }
}
