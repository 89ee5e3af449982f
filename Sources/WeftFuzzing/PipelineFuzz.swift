import WeftCore
import WeftDecoding
import WeftMultiline
import WeftOutput
import WeftPipeline

/// Bytes of any format through the whole pipeline: format detection (Docker, CRI, the pipe prefixes, plain), the
/// partial joiner and the engine, with small bounds, the input cut in chunks and the clock moved as the input says,
/// in live or replay mode; every record encoded as a JSON line.
///
/// Invariants: every JSON line parses and carries its record's text; every record belongs to a source the output was
/// told of; at the end every source is released.
enum PipelineFuzz {
    struct Output: RecordOutput {
        var table = SourceTable()
        var encoder = JSONLinesEncoder()
        var violation: FuzzViolation?
        var records = 0

        mutating func write(_ record: Record) {
            records += 1
            guard table.contains(record.source) else {
                violation = violation ?? FuzzViolation(.pipeline, "a record of a source the output was not told of")
                return
            }
            var line: [UInt8] = []
            encoder.encode(record, source: table[record.source], into: &line)
            guard let body = jsonLineBody(line.dropLast()) else {
                violation = violation ?? FuzzViolation(.pipeline, "a JSON line does not parse: \(line)")
                return
            }
            if body != String(decoding: record.body, as: UTF8.self) {
                violation = violation ?? FuzzViolation(.pipeline, "a JSON line's body is not its record's text")
            }
        }

        mutating func describe(_ source: SourceID, as info: SourceInfo) {
            table.set(source, info)
            encoder.forget(source)
        }

        mutating func release(_ source: SourceID) {
            table.remove(source)
            encoder.forget(source)
        }
    }

    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        var reader = FuzzReader(data)
        let mode = reader.byte()
        var configuration = PipelineConfiguration()
        configuration.format = LogFormat.allCases[Int(mode) % LogFormat.allCases.count]
        configuration.maxLineBytes = 1024
        configuration.multiline = EngineFuzz.configuration
        configuration.clock = mode & 0x80 == 0 ? .external : .logTimestamps
        var pipeline = Pipeline(parsers: EngineFuzz.parsers, configuration: configuration)
        var output = Output()
        let source = pipeline.addSource(SourceInfo(path: "/var/log/pods/ns_pod-1_uid/app/0.log"))
        var now: Int64 = 1_700_000_000_000_000_000
        while !reader.isAtEnd {
            let step = reader.byte()
            let chunk = reader.take(Int(step & 0x3F) * 7 + 1)
            chunk.withUnsafeBytes { pipeline.feed($0, from: source, now: now, into: &output) }
            // Mostly small steps, sometimes a jump past the flush timeout, sometimes backwards.
            now &+= step & 0x40 == 0 ? 1_000_000 : (step & 0x80 == 0 ? 2_000_000_000 : -5_000_000_000)
            pipeline.advance(to: now, into: &output)
            if let violation = output.violation { throw violation }
        }
        pipeline.endOfSource(source, now: now, into: &output)
        pipeline.finish(now: now, into: &output)
        if let violation = output.violation { throw violation }
        try require(pipeline.sourceCount == 0, .pipeline, "an ended source was not released")
        try require(output.table.count == 0, .pipeline, "the output was not told that the source was released")
    }
}
