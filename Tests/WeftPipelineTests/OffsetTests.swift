import Foundation
import Testing
import WeftCore
import WeftDecoding
import WeftMultiline
import WeftPipeline
import WeftTestSupport

/// Byte offsets end to end: every record says which input bytes it was made of, and the pipeline says where a
/// restart may resume without losing a line.
@Suite struct OffsetTests {
    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Fixtures.samples.appendingPathComponent(name)))
    }

    @Test(arguments: Fixtures.sampleNames())
    func aPlainRecordIsExactlyTheBytesOfItsRange(name: String) throws {
        let input = try Self.bytes(name)
        let records = try Fixtures.run(input, format: .plain, chunk: 997).records
        var covered: Int64 = 0
        for record in records {
            #expect(record.range.start == covered, "records of one plain stream tile the input: \(record)")
            let slice = input[Int(record.range.start)..<Int(record.range.end)]
            #expect(Array(slice.last == 0x0A ? slice.dropLast() : slice[...]) == record.bodyBytes, "\(record)")
            covered = record.range.end
        }
        #expect(covered == Int64(input.count))
    }

    @Test(arguments: Fixtures.renderedNames())
    func containerRecordsCoverEveryPhysicalLineOnce(name: String) throws {
        let input = try Self.bytes(name)
        let records = try Fixtures.run(input, chunk: 4093).records
        var lineStarts: [Int64] = [0]
        for (index, byte) in input.enumerated() where byte == 0x0A && index + 1 < input.count {
            lineStarts.append(Int64(index + 1))
        }
        var covering = [Int](repeating: 0, count: lineStarts.count)
        for stream in [LogStream.stdout, .stderr] {
            var last: Int64 = -1
            for record in records where record.stream == stream {
                #expect(record.range.start > last, "records of one stream leave in input order: \(record)")
                last = record.range.end - 1
            }
        }
        for record in records {
            // Each record's range starts and ends on line boundaries and holds the lines it was made of (lines of the
            // other stream may lie between them).
            #expect(lineStarts.contains(record.range.start))
            #expect(record.range.end == Int64(input.count) || lineStarts.contains(record.range.end))
            for (index, start) in lineStarts.enumerated() where start >= record.range.start && start < record.range.end
            {
                covering[index] += 1
            }
        }
        #expect(covering.allSatisfy { $0 >= 1 }, "every physical line is inside some record")
        #expect(records.reduce(0) { $0 + $1.lineCount } <= lineStarts.count)
    }

    @Test func settledOffsetWaitsForTheRecordBeingAssembled() throws {
        var pipeline = Pipeline(parsers: try .make(), configuration: .init())
        var output = CollectingSink()
        let source = pipeline.addSource(SourceInfo(path: nil), format: .plain, startOffset: 100)
        func feed(_ text: String) {
            Array(text.utf8).withUnsafeBytes { pipeline.feed($0, from: source, now: 0, into: &output) }
        }
        #expect(pipeline.settledOffset(of: source) == 100)
        feed("served /\n")  // 100..<109, held: it might introduce a trace
        #expect(pipeline.settledOffset(of: source) == 100)
        feed("Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n")  // 109..<179
        #expect(output.records.map(\.body) == ["served /"])
        #expect(pipeline.settledOffset(of: source) == 109, "the trace being assembled holds the checkpoint")
        feed("ValueError: x\n2026-03-14 10:00:00 IN")  // the trace may still continue; the next line is unterminated
        #expect(pipeline.settledOffset(of: source) == 109)
        feed("FO ok\n")
        #expect(output.records.count == 2, "the trace left when the next log line could not continue it")
        #expect(output.records[1].range == ByteRange(start: 109, end: 193))
        #expect(pipeline.settledOffset(of: source) == 193, "the log line is held now")
        pipeline.advance(to: 2_000_000_000, into: &output)
        #expect(pipeline.settledOffset(of: source) == 221)
        #expect(pipeline.settledOffsets() == [source: 221])
        #expect(pipeline.lastSequence == 3)
    }

    @Test func aPartialRunHoldsTheCheckpointAtItsFirstChunk() throws {
        var pipeline = Pipeline(parsers: try .make(), configuration: .init())
        var output = CollectingSink()
        let source = pipeline.addSource(SourceInfo(path: nil), format: .docker)
        let first = Fixtures.docker("hello\n")
        let chunk = Fixtures.docker("a long line cut by the runtime, first 16 KiB")
        Array((first + chunk).utf8).withUnsafeBytes { pipeline.feed($0, from: source, now: 0, into: &output) }
        pipeline.advance(to: 2_000_000_000, into: &output)  // "hello" leaves; the partial run is not complete
        // The joiner flushes an idle run at the timeout too; before that, the run holds the offset.
        #expect(output.records.map(\.body).first == "hello")
        var fresh = Pipeline(parsers: try .make(), configuration: .init())
        var freshOutput = CollectingSink()
        let id = fresh.addSource(SourceInfo(path: nil), format: .docker)
        Array((first + chunk).utf8).withUnsafeBytes { fresh.feed($0, from: id, now: 0, into: &freshOutput) }
        #expect(fresh.settledOffset(of: id) == 0, "'hello' is held, the run pending")
        fresh.advance(to: 10, into: &freshOutput)
        let end = Fixtures.docker(" and the rest\n")
        Array(end.utf8).withUnsafeBytes { fresh.feed($0, from: id, now: 20, into: &freshOutput) }
        fresh.finish(now: 30, into: &freshOutput)
        let joined = try #require(freshOutput.records.last)
        #expect(joined.body == "a long line cut by the runtime, first 16 KiB and the rest")
        // With nothing of the engine's before it, the run alone holds the checkpoint: "hello" (stderr) has left when
        // "next" (stderr) came, "next" is held after the run, and the run (stdout) began in between.
        var third = Pipeline(parsers: try .make(), configuration: .init())
        var thirdOutput = CollectingSink()
        let three = third.addSource(SourceInfo(path: nil), format: .docker)
        let partial = Fixtures.docker("a chunk of stdout", stream: "stdout")
        Array((first + partial + Fixtures.docker("next\n")).utf8).withUnsafeBytes {
            third.feed($0, from: three, now: 0, into: &thirdOutput)
        }
        #expect(thirdOutput.records.map(\.body) == ["hello"])
        #expect(third.settledOffset(of: three) == Int64(first.utf8.count), "the pending run starts there")
        #expect(fresh.statistics.joinedLines == 1)
        #expect(joined.range == ByteRange(start: Int64(first.utf8.count), end: Int64((first + chunk + end).utf8.count)))
    }

    /// Kills a pipeline at random points, restarts from its settled offset, and checks that every input byte is in a
    /// record delivered before the crash or after the restart: at-least-once, nothing skipped.
    @Test(arguments: [11, 12, 13, 14, 15, 16, 17, 18] as [UInt64])
    func restartingFromTheSettledOffsetLosesNothing(seed: UInt64) throws {
        var input: [UInt8] = []
        for name in Fixtures.sampleNames() { input += try Self.bytes(name) }
        var random = SplitMix64(seed: seed)
        let crash = Int.random(in: 0..<input.count, using: &random)
        let parsers = try ParserSet.make()

        var first = Pipeline(parsers: parsers, configuration: .init())
        var delivered = CollectingSink()
        let a = first.addSource(SourceInfo(path: nil), format: .plain)
        var offset = 0
        var clock = ManualClock()
        while offset < crash {
            let end = min(crash, offset + Int.random(in: 1...5000, using: &random))
            input[offset..<end].withUnsafeBytes { first.feed($0, from: a, now: clock.now, into: &delivered) }
            clock.advance(byMilliseconds: Int64.random(in: 0...1500, using: &random))
            first.advance(to: clock.now, into: &delivered)
            offset = end
        }
        // Everything written is acknowledged (the sink keeps it): the checkpoint is the settled offset.
        let checkpoint = first.settledOffset(of: a)
        #expect(checkpoint <= Int64(crash))

        var second = Pipeline(parsers: parsers, configuration: .init())
        var after = CollectingSink()
        let b = second.addSource(SourceInfo(path: nil), format: .plain, startOffset: checkpoint)
        input[Int(checkpoint)...].withUnsafeBytes { second.feed($0, from: b, now: clock.now, into: &after) }
        second.endOfSource(b, now: clock.now, into: &after)
        second.finish(now: clock.now, into: &after)

        var covered = [Bool](repeating: false, count: input.count)
        for record in delivered.records + after.records {
            for index in Int(record.range.start)..<Int(record.range.end) { covered[index] = true }
        }
        #expect(!covered.contains(false), "a byte of the input is in no record")
        #expect(after.records.allSatisfy { $0.range.start >= checkpoint })
        // Repeats are bounded by what was in flight: the restart begins at the oldest pending record.
        let repeated = delivered.records.filter { $0.range.end > checkpoint }
        #expect(repeated.isEmpty, "records that left before the crash end before the checkpoint")
    }
}
