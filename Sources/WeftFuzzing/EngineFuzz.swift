import WeftCore
import WeftMultiline

/// Line sequences on four streams (two sources × stdout/stderr) through the engine with every built-in parser, with
/// log timestamps and an engine clock that both jump forwards and backwards, flush timeouts firing, and small bounds
/// so that cuts, continuations and `buffer_full` flushes happen.
///
/// Invariants: every line leaves in exactly one record; on each stream the records' bodies, joined, are the lines in
/// the order they came (unless a line was cut at a bound); no record exceeds the line or byte bound.
enum EngineFuzz {
    static let parsers: ParserSet = {
        do { return try ParserSet.make() } catch { fatalError("the built-in parsers do not load: \(error)") }
    }()

    static var configuration: MultilineConfiguration {
        var configuration = MultilineConfiguration(flushTimeout: 1_000_000_000, maxLines: 40, maxBytes: 2048)
        configuration.maxPendingBytes = 8192
        configuration.maxStreams = 3
        configuration.maxTentativeLines = 8
        configuration.regexMatchLimit = 20_000
        return configuration
    }

    /// Keeps what each stream's records carried.
    struct Tally: RecordOutput {
        var lines = 0
        var bodies: [Int: [UInt8]] = [:]
        var truncated: Set<Int> = []
        var violation: FuzzViolation?
        let configuration: MultilineConfiguration

        mutating func write(_ record: Record) {
            let key = EngineFuzz.key(record.source, record.stream)
            lines += record.lineCount
            if record.lineCount > configuration.maxLines {
                violation = violation ?? FuzzViolation(.engine, "a record of \(record.lineCount) lines")
            }
            if record.body.count > configuration.maxBytes {
                violation = violation ?? FuzzViolation(.engine, "a record of \(record.body.count) bytes")
            }
            if record.lineCount < 1 { violation = violation ?? FuzzViolation(.engine, "a record of no line") }
            if record.truncated { truncated.insert(key) }
            if bodies[key] != nil { bodies[key]!.append(0x0A) } else { bodies[key] = [] }
            bodies[key]!.append(contentsOf: record.body)
        }
    }

    static func key(_ source: SourceID, _ stream: LogStream) -> Int { Int(source) * 4 + Int(stream.rawValue) }

    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        var reader = FuzzReader(data)
        let configuration = configuration
        var engine = MultilineEngine(parsers: parsers, configuration: configuration)
        var output = Tally(configuration: configuration)
        var expected: [Int: [UInt8]] = [:]
        var linesIn = 0
        var now: Int64 = 1_700_000_000_000_000_000
        var logTime: Int64 = now
        while !reader.isAtEnd {
            let op = reader.byte()
            let source: SourceID = 1 + SourceID(op & 1)
            let stream: LogStream = op & 2 == 0 ? .stdout : .stderr
            // Clock moves: mostly microseconds inside a burst, sometimes seconds, sometimes backwards.
            let step = Int64(Int8(bitPattern: reader.byte()))
            switch (op >> 2) & 7 {
            case 0: logTime &+= step * 1_000_000_000
            case 1: now &+= step * 10_000_000
            case 2: try advance(&engine, to: now &+ step * 100_000_000, into: &output)
            default: logTime &+= abs(step) * 1_000
            }
            let text = reader.line()
            let key = key(source, stream)
            if expected[key] != nil { expected[key]!.append(0x0A) } else { expected[key] = [] }
            expected[key]!.append(contentsOf: text)
            linesIn += 1
            let time = op & 0x80 == 0 ? logTime : Timestamp.none
            text.withUnsafeBytes {
                engine.push(LogLine(source: source, stream: stream, time: time, text: $0), now: now, into: &output)
            }
            if let violation = output.violation { throw violation }
        }
        engine.finish(into: &output)
        if let violation = output.violation { throw violation }
        try require(output.lines == linesIn, .engine, "\(linesIn) lines in, \(output.lines) lines out")
        for (key, bytes) in expected where !output.truncated.contains(key) {
            try require(output.bodies[key] == bytes, .engine, "stream \(key): records do not carry the lines in order")
        }
    }

    private static func advance(
        _ engine: inout MultilineEngine, to now: Int64, into output: inout Tally
    ) throws(FuzzViolation) {
        engine.advance(to: now, into: &output)
        if let violation = output.violation { throw violation }
    }
}
