import Foundation
import Testing
import WeftCore
import WeftIO
import WeftOutput

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct FileOutputTests {
    /// Drains a pipe on a thread of its own, slowly if asked, and hands back everything read.
    final class PipeDrain: @unchecked Sendable {
        let readEnd: Int32
        private(set) var bytes: [UInt8] = []
        private let done = DispatchSemaphore(value: 0)

        init(readEnd: Int32, pauseMicroseconds: UInt32 = 0) {
            self.readEnd = readEnd
            Thread {
                var chunk = [UInt8](repeating: 0, count: 8192)
                while true {
                    let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                    if count <= 0 { break }
                    self.bytes.append(contentsOf: chunk[..<count])
                    if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
                }
                self.done.signal()
            }.start()
        }

        func wait() -> [UInt8] {
            done.wait()
            return bytes
        }
    }

    func makePipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        return (ends[0], ends[1])
    }

    /// Writes `count` records through a writer, and the same records through a bare encoder for comparison.
    func writeRecords(_ count: Int, to writer: inout FileOutput) throws -> [UInt8] {
        var encoder = JSONLinesEncoder()
        var expected: [UInt8] = []
        let source = SourceInfo(path: "/var/log/app.log")
        writer.describe(0, as: source)
        for index in 0..<count {
            try Array("record \(index) \(String(repeating: "x", count: index % 300))".utf8).withUnsafeBytes { body in
                let record = Record(
                    source: 0, stream: .stdout, time: Int64(index) * 1_000_000, observedTime: 0, body: body,
                    lineCount: 1, parser: nil, flushReason: .nextRecord, sequence: UInt64(index + 1))
                try writer.write(record)
                encoder.encode(record, source: source, into: &expected)
            }
        }
        try writer.flush()
        return expected
    }

    @Test func writesEverythingInOrder() throws {
        let (readEnd, writeEnd) = try makePipe()
        let drain = PipeDrain(readEnd: readEnd)
        var writer = FileOutput(fd: writeEnd, name: "pipe", threshold: 4096)
        let expected = try writeRecords(5000, to: &writer)
        #expect(writer.bufferedByteCount == 0)
        #expect(writer.bytesWritten == Int64(expected.count))
        close(writeEnd)
        let received = drain.wait()
        close(readEnd)
        #expect(received == expected)
    }

    @Test func holdsRecordsUntilTheThreshold() throws {
        let (readEnd, writeEnd) = try makePipe()
        defer {
            close(readEnd)
            close(writeEnd)
        }
        var writer = FileOutput(fd: writeEnd, name: "pipe", threshold: 1 << 20)
        try Array("hello".utf8).withUnsafeBytes { body in
            let record = Record(
                source: 0, stream: .stdout, time: Timestamp.none, observedTime: Timestamp.none, body: body,
                lineCount: 1, parser: nil, flushReason: .endOfInput)
            writer.describe(0, as: SourceInfo(path: nil))
            try writer.write(record)
        }
        #expect(writer.bufferedByteCount > 0)
        #expect(writer.bytesWritten == 0)
        try writer.flush()
        #expect(writer.bufferedByteCount == 0)
        var received = [UInt8](repeating: 0, count: 4096)
        let count = received.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
        #expect(String(decoding: received[..<count], as: UTF8.self).hasPrefix(#"{"body":"hello""#))
    }

    @Test func nonBlockingDescriptorWaitsInsteadOfFailing() throws {
        let (readEnd, writeEnd) = try makePipe()
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        let drain = PipeDrain(readEnd: readEnd, pauseMicroseconds: 200)
        var writer = FileOutput(fd: writeEnd, name: "pipe", threshold: 256 << 10)
        let expected = try writeRecords(20_000, to: &writer)  // several MB: far more than the pipe holds
        close(writeEnd)
        let received = drain.wait()
        close(readEnd)
        #expect(received == expected)
    }

    @Test func hugeRecordGoesOutWhole() throws {
        let (readEnd, writeEnd) = try makePipe()
        let drain = PipeDrain(readEnd: readEnd)
        var writer = FileOutput(fd: writeEnd, name: "pipe", threshold: 4096)
        var encoder = JSONLinesEncoder()
        var expected: [UInt8] = []
        for size in [10, 3 << 20, 10] {
            let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 % 95 + 0x20) }
            try body.withUnsafeBytes { bytes in
                let record = Record(
                    source: 0, stream: .stdout, time: 0, observedTime: 0, body: bytes, lineCount: 1, parser: nil,
                    flushReason: .maxBytes, truncated: true)
                writer.describe(0, as: SourceInfo(path: nil))
                try writer.write(record)
                encoder.encode(record, source: SourceInfo(path: nil), into: &expected)
            }
        }
        try writer.flush()
        close(writeEnd)
        let received = drain.wait()
        close(readEnd)
        #expect(received == expected)
    }

    @Test func brokenPipeIsATypedError() throws {
        signal(SIGPIPE, SIG_IGN)  // as the program does; otherwise the signal ends the test process
        let (readEnd, writeEnd) = try makePipe()
        close(readEnd)
        defer { close(writeEnd) }
        var writer = FileOutput(fd: writeEnd, name: "stdout", threshold: 16)
        do {
            _ = try writeRecords(10, to: &writer)
            Issue.record("writing to a closed pipe should fail")
        } catch let error as WriteError {
            #expect(error.isBrokenPipe)
            #expect(error == WriteError(errno: EPIPE, name: "stdout"))
            #expect(error.description.hasPrefix("cannot write to stdout: "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func acknowledgesWhatWasWrittenAndNothingBefore() throws {
        let (readEnd, writeEnd) = try makePipe()
        let drain = PipeDrain(readEnd: readEnd)
        let acks = Acknowledgements()
        var writer = FileOutput(fd: writeEnd, name: "pipe", threshold: 1 << 20, acknowledgements: acks)
        writer.describe(0, as: SourceInfo(path: nil))
        for sequence in 1...3 as ClosedRange<UInt64> {
            try Array("line \(sequence)".utf8).withUnsafeBytes { body in
                try writer.write(
                    Record(
                        source: 0, stream: .stdout, time: 0, observedTime: 0, body: body, lineCount: 1, parser: nil,
                        flushReason: .nextRecord, sequence: sequence))
            }
        }
        #expect(acks.acknowledged == 0, "buffered records are not delivered yet")
        try writer.flush()
        #expect(acks.acknowledged == 3)
        close(writeEnd)
        _ = drain.wait()
        close(readEnd)
    }

    @Test func aFailedWriteFailsTheAcknowledgements() throws {
        signal(SIGPIPE, SIG_IGN)
        let (readEnd, writeEnd) = try makePipe()
        close(readEnd)
        defer { close(writeEnd) }
        let acks = Acknowledgements()
        var writer = FileOutput(fd: writeEnd, name: "stdout", threshold: 16, acknowledgements: acks)
        #expect(throws: WriteError.self) { _ = try writeRecords(10, to: &writer) }
        #expect(acks.acknowledged == 0)
        #expect((acks.failure as? WriteError)?.isBrokenPipe == true)
    }

    /// Two outputs on one descriptor (a configuration's source blocks): when a flush is cut short half way through
    /// the buffer, the other output holds its records back until the first has finished, so no line is torn.
    @Test func aSharedDescriptorNeverInterleavesRecords() throws {
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd) }
        #expect(fcntl(writeEnd, 1031, 4096) >= 4096)  // F_SETPIPE_SZ: a small pipe fills fast
        let capacity = Int(fcntl(writeEnd, 1032))  // F_GETPIPE_SZ
        let (signalRead, signalWrite) = try makePipe()
        defer {
            close(signalRead)
            close(signalWrite)
        }
        let shared = SharedDescriptor()
        var first = FileOutput(fd: writeEnd, name: "pipe", threshold: 1 << 20)
        var second = FileOutput(fd: writeEnd, name: "pipe", threshold: 1 << 20)
        for output in [0, 1] {
            var writer = output == 0 ? first : second
            writer.writesOnlyOnFlush = true
            writer.interruption = signalRead
            writer.sharing = shared.slot()
            writer.describe(0, as: SourceInfo(path: "/var/log/\(output).log"))
            for index in 0..<100 {
                try Array("output \(output) record \(index) \(String(repeating: "x", count: 100))".utf8)
                    .withUnsafeBytes { body in
                        try writer.write(
                            Record(
                                source: 0, stream: .stdout, time: 0, observedTime: 0, body: body, lineCount: 1,
                                parser: nil, flushReason: .nextRecord, sequence: UInt64(index + 1)))
                    }
            }
            if output == 0 { first = writer } else { second = writer }
        }
        // Once the pipe is full, the "signal" arrives: the first flush stops part way.
        let signaller = Thread {
            var queued: Int32 = 0
            while ioctl(readEnd, UInt(FIONREAD), &queued) == 0 && Int(queued) < capacity { usleep(1000) }
            var byte: UInt8 = 1
            _ = write(signalWrite, &byte, 1)
        }
        signaller.start()
        #expect(throws: WriteError.self) { try first.flush() }
        #expect(first.isMidRecord)
        #expect(first.sharing?.isHolding == true)
        try second.flush()  // holds back: nothing of it reaches the pipe
        #expect(second.bufferedByteCount > 0)
        var consumed: UInt8 = 0
        _ = read(signalRead, &consumed, 1)
        let drain = PipeDrain(readEnd: readEnd)
        try first.flush()
        #expect(!first.isMidRecord && first.sharing?.isHolding == false)
        try second.flush()
        #expect(second.bufferedByteCount == 0)
        close(writeEnd)
        let lines = String(decoding: drain.wait(), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 200)
        let bodies = lines.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["body"] as? String
        }
        #expect(bodies.count == 200, "every line is a whole record")
        #expect(bodies.prefix(100).allSatisfy { $0.hasPrefix("output 0 ") })
        #expect(bodies.suffix(100).allSatisfy { $0.hasPrefix("output 1 ") })
    }

    /// A flush waiting for a reader that does not read beats the heartbeat at least once a second: waiting on a
    /// slow output is being alive (`/healthz`).
    @Test func aWaitingFlushKeepsTheHeartbeat() throws {
        let (readEnd, writeEnd) = try makePipe()
        defer {
            close(readEnd)
            close(writeEnd)
        }
        let heartbeat = Heartbeat()
        var writer = FileOutput(fd: writeEnd, name: "pipe", threshold: 1 << 20)
        writer.writesOnlyOnFlush = true
        writer.heartbeat = heartbeat
        writer.deadline = MonotonicClock.now() + 2_500_000_000
        writer.describe(0, as: SourceInfo(path: nil))
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)  // more than the pipe holds
        try body.withUnsafeBytes { raw in
            try writer.write(
                Record(
                    source: 0, stream: .stdout, time: 0, observedTime: 0, body: raw, lineCount: 1, parser: nil,
                    flushReason: .nextRecord, sequence: 1))
        }
        // Two seconds into the wait, how long ago was the last beat?
        let age = Locked<Int64>(-1)
        let sampled = DispatchSemaphore(value: 0)
        Thread {
            usleep(2_000_000)
            age.withLock { $0 = heartbeat.age }
            sampled.signal()
        }.start()
        #expect(throws: WriteError.self) { try writer.flush() }  // nobody reads: it gives up at the deadline
        sampled.wait()
        let last = age.withLock { $0 }
        #expect(last >= 0 && last < 1_200_000_000, "last beat \(last / 1_000_000) ms ago")
    }

    @Test func releasedSourcesAreForgotten() throws {
        let (readEnd, writeEnd) = try makePipe()
        let drain = PipeDrain(readEnd: readEnd)
        var writer = FileOutput(fd: writeEnd, name: "pipe", threshold: 1 << 20)
        writer.describe(0, as: SourceInfo(path: "/a.log"))
        writer.describe(1, as: SourceInfo(path: "/b.log"))
        #expect(writer.describedSourceCount == 2)
        writer.release(0)
        #expect(writer.describedSourceCount == 1)
        // The id comes back for another source: its records carry the new path, not a cached old one.
        writer.describe(0, as: SourceInfo(path: "/c.log"))
        try Array("x".utf8).withUnsafeBytes { body in
            try writer.write(
                Record(
                    source: 0, stream: .stdout, time: 0, observedTime: 0, body: body, lineCount: 1, parser: nil,
                    flushReason: .nextRecord, sequence: 1))
        }
        try writer.flush()
        close(writeEnd)
        let text = String(decoding: drain.wait(), as: UTF8.self)
        close(readEnd)
        #expect(text.contains(#""log.file.path":"/c.log""#))
        #expect(!text.contains("/a.log"))
    }
}
