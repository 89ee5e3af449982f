import WeftCore

// The engine's pending records: opening, growing within the bounds, cutting, ending (with lines taken on trial
// read again), and emitting. Byte accounting (`pendingBytes`) lives here too: every change to a body goes through
// these methods.
extension MultilineEngine {
    /// A stream's record buffer starts this small and is given back past this size when its record leaves.
    static var initialBodyCapacity: Int { 256 }
    static var retainedBodyCapacity: Int { 64 * 1024 }

    mutating func open<O: RecordOutput>(
        _ index: Int, parser: Int32, state: Int32, text: UnsafeRawBufferPointer, line: TrialLine,
        into output: inout O
    ) throws(O.Failure) {
        streams[index].slot.parser = parser
        streams[index].slot.state = state
        streams[index].slot.time = line.time
        streams[index].slot.observed = line.now
        streams[index].slot.truncated = false
        streams[index].slot.malformed = false
        streams[index].slot.continuation = false
        try append(index, text: text, line: line, into: &output)
        commit(index)
    }

    /// Confirms every line the record holds: none of them will be read again.
    mutating func commit(_ index: Int) {
        streams[index].slot.committedBytes = streams[index].body.count
        streams[index].slot.committedLines = streams[index].slot.lines
        streams[index].slot.committedEnd = streams[index].slot.range.end
        streams[index].slot.committedTruncated = streams[index].slot.truncated
        if !streams[index].trial.isEmpty { streams[index].trial.removeAll(keepingCapacity: true) }
    }

    /// A line as a record keeps it: cut (and flagged) if it alone is longer than a whole record may be.
    @inline(__always)
    func bounded(_ text: UnsafeRawBufferPointer, _ line: TrialLine) -> (UnsafeRawBufferPointer, TrialLine) {
        guard text.count > configuration.maxBytes else { return (text, line) }
        var kept = line
        let cut = UnsafeRawBufferPointer(
            rebasing: text[..<UTF8Bytes.cut(atMost: configuration.maxBytes) { text[$0] }])
        kept.length = cut.count
        kept.flags.insert(.truncated)
        return (cut, kept)
    }

    /// Appends a line to a stream's record, cutting at the line and byte bounds.
    mutating func append<O: RecordOutput>(
        _ index: Int, text: UnsafeRawBufferPointer, line: TrialLine, into output: inout O
    ) throws(O.Failure) {
        if streams[index].slot.lines > 0 {
            let cutLines = streams[index].slot.lines >= configuration.maxLines
            let cutBytes = streams[index].body.count + 1 + text.count > configuration.maxBytes
            if cutLines || cutBytes {
                try cut(index, reason: cutLines ? .maxLines : .maxBytes, into: &output)
            }
        }
        let (text, line) = bounded(text, line)
        if line.flags.contains(.truncated) { streams[index].slot.truncated = true }
        let before = streams[index].body.count
        streams[index].body.makeUnique()  // a copy of the engine shares its buffers until one of them writes
        if streams[index].slot.lines > 0 {
            streams[index].body.write(0x0A)
            streams[index].slot.range.end = line.range.end
        } else {
            streams[index].slot.range = line.range
        }
        if let base = text.baseAddress { streams[index].body.write(base, count: text.count) }
        streams[index].slot.lines += 1
        streams[index].slot.lastSeen = line.now
        streams[index].slot.lastTime = line.time
        pendingBytes += streams[index].body.count - before
        if pendingBytes > configuration.maxPendingBytes { try relievePressure(sparing: index, into: &output) }
    }

    /// Emits what a stream holds because it reached a bound, and keeps the trace going in a continuation record.
    private mutating func cut<O: RecordOutput>(
        _ index: Int, reason: FlushReason, into output: inout O
    ) throws(O.Failure) {
        let slot = streams[index].slot
        commit(index)  // a cut keeps lines taken on trial: the trace is long, not ended
        streams[index].slot.truncated = true
        try emit(
            index, reason: reason, why: "record reached its \(reason == .maxLines ? "line" : "byte") limit",
            into: &output)
        streams[index].slot.parser = slot.parser
        streams[index].slot.state = slot.state
        streams[index].slot.time = slot.time
        streams[index].slot.continuation = true
    }

    private mutating func relievePressure<O: RecordOutput>(
        sparing current: Int, into output: inout O
    ) throws(O.Failure) {
        while pendingBytes > configuration.maxPendingBytes {
            // The current record alone is bounded by maxBytes.
            guard let oldest = streams.quietestPending(sparing: current) else { return }
            try emit(oldest, reason: .bufferFull, why: "pending records reached the total byte bound", into: &output)
        }
    }

    /// Ends a stream's record: emits it without any lines taken on trial, then reads those lines again, each with
    /// its own time, flags, byte range and arrival time.
    mutating func end<O: RecordOutput>(
        _ index: Int, reason: FlushReason, why: @autoclosure () -> String, into output: inout O
    ) throws(O.Failure) {
        guard streams[index].slot.lines > 0 else { return }
        if !streams[index].slot.hasTentative {
            try emit(index, reason: reason, why: why(), into: &output)
            return
        }
        // Keep the trial lines aside, emit the record without them, then process them as new lines.
        let slot = streams[index].slot
        let trial = streams[index].trial
        let firstTrial = slot.committedBytes + (slot.committedLines > 0 ? 1 : 0)
        refeed.removeAll(maxRetainedCapacity: Self.retainedBodyCapacity)
        refeed.makeUnique()  // an outer end() may still be reading the previous contents (see below)
        refeed.write(streams[index].body.base + firstTrial, count: streams[index].body.count - firstTrial)
        pendingBytes -= streams[index].body.count - slot.committedBytes
        streams[index].body.removeSuffix(from: slot.committedBytes)
        streams[index].slot.lines = slot.committedLines
        streams[index].slot.range.end = slot.committedEnd
        streams[index].slot.truncated = slot.committedTruncated  // a cut trial line marks its own record
        streams[index].trial.removeAll(keepingCapacity: true)
        if slot.committedLines > 0 {
            try emit(index, reason: reason, why: why(), into: &output)
        } else {
            reset(index)  // everything was on trial (a bound cut the record just before): nothing to emit
        }
        // Reading a line again may end the record again, with trial lines of its own, and so refill `refeed`: this
        // copy keeps the bytes being read (the refill moves to new memory, `makeUnique` above).
        let lines = refeed
        var start = 0
        for entry in trial {
            let text = UnsafeRawBufferPointer(start: lines.base + start, count: entry.length)
            try process(index, text: text, line: entry, into: &output)
            start += entry.length + 1
        }
    }

    mutating func emit<O: RecordOutput>(
        _ index: Int, reason: FlushReason, why: @autoclosure () -> String, into output: inout O
    ) throws(O.Failure) {
        let slot = streams[index].slot
        let parserName = slot.parser >= 0 && slot.lines > 1 ? parsers.parsers[Int(slot.parser)].file.name : nil
        if let explain { explain(.ended(slot.key, reason: reason, lines: slot.lines, parser: parserName, why: why())) }
        statistics.records += 1
        statistics.recordsByReason[Int(reason.rawValue)] += 1
        if parserName != nil { statistics.recordsByParserIndex[Int(slot.parser)] += 1 }
        if slot.truncated { statistics.truncatedRecords += 1 }
        try output.write(
            Record(
                source: slot.key.lane, stream: slot.key.stream, time: slot.time, observedTime: slot.observed,
                body: streams[index].body.bytes, lineCount: slot.lines, parser: parserName, flushReason: reason,
                truncated: slot.truncated, malformed: slot.malformed, continuation: slot.continuation,
                range: slot.range, sequence: UInt64(statistics.records)))
        reset(index)
    }

    /// Empties a stream's record after it left.
    private mutating func reset(_ index: Int) {
        pendingBytes -= streams[index].body.count
        if streams[index].body.capacity > Self.retainedBodyCapacity {
            streams[index].body = RawBuffer(capacity: Self.initialBodyCapacity)  // give back a big record's memory
        } else {
            streams[index].body.removeSuffix(from: 0)
        }
        streams[index].slot.clear()
        if !streams[index].trial.isEmpty { streams[index].trial.removeAll(keepingCapacity: true) }
    }
}
