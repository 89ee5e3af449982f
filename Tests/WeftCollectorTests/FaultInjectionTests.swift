import Foundation
import Testing
import WeftTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Weft as a real process in a hostile environment: its reader gone, standard output closed, no space left, a state
/// directory full or read-only, checkpoints damaged, a followed file replaced by a directory, timestamps jumping
/// years back and forth, a 100 MB line, a file of NUL bytes, 10,000 streams, more files than it may open, a reader
/// that stalls, files made unreadable. Each test
/// checks the behaviour documented in SECURITY.md's "Failure behaviour" table: the exit status and message, that no
/// line read is lost, and that memory stays within the configured bounds.
///
/// No sleeps for timeouts: every wait is for something observable, with a deadline that fails the test.
@Suite(.serialized) struct FaultInjectionTests {
    typealias Scratch = TailProcessTests.Scratch
    typealias WeftProcess = TailProcessTests.WeftProcess

    static var binary: String { TailProcessTests.binary.path }

    // MARK: - Standard output

    /// `weft app.log | head -1`: the filter ends by SIGPIPE without a word, as cat and grep do (status 141 in a
    /// shell), also when it was started with SIGPIPE ignored (a disposition children inherit). `weft tail` exits 1 naming the broken pipe, and checkpoints nothing it could not write.
    @Test func aReaderThatGoesAwayEndsTheFilterQuietlyAndFailsTheCollector() throws {
        let scratch = try Scratch("epipe")
        defer { scratch.remove() }
        scratch.append("logs/app.log", (0..<50_000).map { "INFO line \($0)\n" }.joined())

        for ignored in [true, false] {
            let filter = try Spawned(
                [Self.binary, scratch.path("logs/app.log")], stdout: .brokenPipe, ignoringSIGPIPE: ignored,
                in: scratch)
            let filterEnd = try filter.wait(timeout: 30)
            #expect(filterEnd.signal == SIGPIPE)
            #expect(scratch.read("stderr.txt").isEmpty)
        }

        let tail = try Spawned(
            [Self.binary, "tail", scratch.path("logs/*.log"), "--state-dir", scratch.path("state")],
            stdout: .brokenPipe, in: scratch)
        let tailEnd = try tail.wait(timeout: 30)
        #expect(tailEnd.exitCode == 1)
        #expect(scratch.read("stderr.txt").contains("cannot write to stdout: Broken pipe"))
        #expect(
            TailProcessTests.checkpointOffsets(scratch.path("state/checkpoints.json")).values.allSatisfy { $0 == 0 })
    }

    /// `weft … >&-`: a closed standard output is an error at the first record (exit 1), never another file that
    /// happened to get descriptor 1.
    @Test func aStandardOutputClosedAtStartIsAClearError() throws {
        let scratch = try Scratch("closed-stdout")
        defer { scratch.remove() }
        scratch.append("logs/app.log", "INFO one\nINFO two\n")
        let tail = try Spawned(
            [Self.binary, "tail", scratch.path("logs/*.log"), "--state-dir", scratch.path("state")], stdout: .closed,
            in: scratch)
        #expect(try tail.wait(timeout: 20).exitCode == 1)
        #expect(scratch.read("stderr.txt").contains("cannot write to stdout: Bad file descriptor"))
        #expect(
            TailProcessTests.checkpointOffsets(scratch.path("state/checkpoints.json")).values.allSatisfy { $0 == 0 })
        for name in (try? FileManager.default.contentsOfDirectory(atPath: scratch.path("state"))) ?? [] {
            #expect(!scratch.read("state/" + name).contains("INFO one"), "a record went into state/\(name)")
        }

        let filter = try Spawned([Self.binary, scratch.path("logs/app.log")], stdout: .closed, in: scratch)
        #expect(try filter.wait(timeout: 20).exitCode == 1)
    }

    /// Standard error closed: Weft's own log lines must not land in `--output` (which would take descriptor 2).
    @Test func aClosedStandardErrorKeepsLogLinesOutOfTheOutput() throws {
        let scratch = try Scratch("closed-stderr")
        defer { scratch.remove() }
        scratch.append("logs/app.log", "INFO one\nINFO two\n")
        let tail = try Spawned(
            [
                Self.binary, "tail", scratch.path("logs/*.log"), "--state-dir", scratch.path("state"), "--output",
                scratch.path("out.jsonl"),
            ], stdout: .null, stderr: .closed, in: scratch)
        try TailProcessTests.waitFor("two records", timeout: 20) {
            scratch.read("out.jsonl").split(separator: "\n").count == 2
        }
        #expect(try tail.terminate() == 0)
        for line in scratch.read("out.jsonl").split(separator: "\n") {
            #expect(line.hasPrefix("{\"observed_timestamp\""), "not a record: \(line.prefix(120))")
        }
    }

    // MARK: - No space, no write access

    /// `--output` on a device with no space left (/dev/full): exit 1 with the reason; the checkpoints stay before
    /// what could not be written, so a restart writes it.
    @Test func anOutputWithNoSpaceLeftIsAClearError() throws {
        let scratch = try Scratch("enospc")
        defer { scratch.remove() }
        scratch.append("logs/app.log", "INFO one\nINFO two\n")
        let tail = try Spawned(
            [
                Self.binary, "tail", scratch.path("logs/*.log"), "--state-dir", scratch.path("state"), "--output",
                "/dev/full",
            ], in: scratch)
        #expect(try tail.wait(timeout: 20).exitCode == 1)
        #expect(scratch.read("stderr.txt").contains("cannot write to /dev/full: No space left on device"))
        #expect(
            TailProcessTests.checkpointOffsets(scratch.path("state/checkpoints.json")).values.allSatisfy { $0 == 0 })
    }

    /// The state directory on a full file system (a 64 KiB tmpfs): records keep flowing, each failed checkpoint
    /// write is logged and counted, and once space is freed the next interval writes them. Needs root (mount).
    @Test(.enabled(if: getuid() == 0)) func aFullStateDirectoryKeepsRecordsFlowingAndRetries() throws {
        let scratch = try Scratch("state-full")
        defer { scratch.remove() }
        let state = scratch.path("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        guard Self.shell("mount -t tmpfs -o size=64k tmpfs '\(state)'") == 0 else { return }  // no mount here
        defer { _ = Self.shell("umount '\(state)'") }
        _ = Self.shell("dd if=/dev/zero of='\(state)/fill' bs=4k count=64 2>/dev/null")
        let lines = (0..<1000).map { "INFO line \($0)\n" }.joined()
        scratch.append("logs/app.log", lines)
        let tail = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--checkpoint-interval",
                "100ms", "--stats-interval", "100ms",
            ], in: scratch)
        try TailProcessTests.waitFor("every line in the output", timeout: 20) {
            scratch.read("out.jsonl").split(separator: "\n").count == 1000
        }
        try TailProcessTests.waitFor("a checkpoint failure", timeout: 20) {
            Int(TailProcessTests.lastStatistics(scratch.read("stderr.txt"))["checkpoint_failures"] ?? "0")! > 0
        }
        #expect(scratch.read("stderr.txt").contains("No space left on device"))
        #expect(TailProcessTests.checkpointOffsets(scratch.path("state/checkpoints.json")).isEmpty)
        unlink(state + "/fill")
        try TailProcessTests.waitFor("the checkpoint written once there is room", timeout: 20) {
            TailProcessTests.checkpointOffsets(scratch.path("state/checkpoints.json")).values.first
                == Int64(lines.utf8.count)
        }
        #expect(try tail.terminate() == 0)
    }

    /// A state directory Weft may not write to: refused at start (exit 1) with the reason, before any record.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") && getuid() == 0))
    func aReadOnlyStateDirectoryIsRefusedAtStart() throws {
        let scratch = try Scratch("state-ro")
        defer { scratch.remove() }
        scratch.append("logs/app.log", "INFO one\n")
        try FileManager.default.createDirectory(atPath: scratch.path("state"), withIntermediateDirectories: true)
        chmod(scratch.path("state"), 0o555)
        chmod(scratch.url.path, 0o755)
        let tail = try Spawned(
            [
                "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Self.binary, "tail",
                scratch.path("logs/*.log"), "--state-dir", scratch.path("state"),
            ], in: scratch)
        let end = try tail.wait(timeout: 20)
        #expect(end.exitCode == 1)
        #expect(scratch.read("stderr.txt").contains("cannot write to \(scratch.path("state")): Permission denied"))
        #expect(scratch.read("stdout.txt").isEmpty)
    }

    // MARK: - Damaged state, changing files

    /// Checkpoints cut short (a full disk under another program) or garbage: reported, set aside, and the files read
    /// as on a first start from where `--read-from` says.
    @Test(arguments: [("end", "{\"version\":1,\"files\":[{\"path\":\"lo"), ("beginning", "\u{0}\u{0}garbage{{")])
    func damagedCheckpointsResumeAsConfigured(readFrom: String, damage: String) throws {
        let scratch = try Scratch("damaged-\(readFrom)")
        defer { scratch.remove() }
        scratch.append("logs/app.log", "INFO old 1\nINFO old 2\n")
        try FileManager.default.createDirectory(atPath: scratch.path("state"), withIntermediateDirectories: true)
        scratch.append("state/checkpoints.json", damage)
        let tail = try WeftProcess(
            ["tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--read-from", readFrom],
            in: scratch)
        try TailProcessTests.waitFor("weft to follow the file", timeout: 20) {
            scratch.read("stderr.txt").contains("following file")
        }
        scratch.append("logs/app.log", "INFO new\n")
        try TailProcessTests.waitFor("the new line", timeout: 20) { scratch.read("out.jsonl").contains("INFO new") }
        #expect(try tail.terminate() == 0)
        let bodies = Self.bodies(scratch.read("out.jsonl"))
        #expect(bodies == (readFrom == "end" ? ["INFO new"] : ["INFO old 1", "INFO old 2", "INFO new"]))
        let log = scratch.read("stderr.txt")
        #expect(log.contains("checkpoints damaged; files are read as on a first start"))
        let setAside = try FileManager.default.contentsOfDirectory(atPath: scratch.path("state"))
        #expect(setAside.contains { $0.hasPrefix("checkpoints.json.damaged-") })
    }

    /// The followed file is deleted and a directory takes its name: its lines are all out, the directory is not
    /// followed, the other files go on.
    @Test func aFollowedFileReplacedByADirectory() throws {
        let scratch = try Scratch("to-directory")
        defer { scratch.remove() }
        scratch.append("logs/app.log", "INFO app 1\n")
        let tail = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--rotate-wait", "100ms",
                "--glob-interval", "100ms",
            ], in: scratch)
        try TailProcessTests.waitFor("app 1", timeout: 20) { scratch.read("out.jsonl").contains("app 1") }
        scratch.append("logs/app.log", "INFO app 2\n")
        unlink(scratch.path("logs/app.log"))
        try FileManager.default.createDirectory(atPath: scratch.path("logs/app.log"), withIntermediateDirectories: true)
        scratch.append("logs/app.log/inner.log", "INFO inner\n")
        scratch.append("logs/other.log", "INFO other\n")
        try TailProcessTests.waitFor("the other file", timeout: 20) { scratch.read("out.jsonl").contains("other") }
        #expect(try tail.terminate() == 0)
        #expect(Self.bodies(scratch.read("out.jsonl")).sorted() == ["INFO app 1", "INFO app 2", "INFO other"])
    }

    /// Replay, whose clock is the log's own timestamps, on a log whose time jumps a year back, ten years forward and
    /// back again in the middle of traces: every line comes out once, in order, and the run ends normally.
    @Test func replayWithTheClockJumpingBackAndForth() throws {
        let scratch = try Scratch("clock")
        defer { scratch.remove() }
        let times = [
            "2026-03-14T09:00:00.000000000Z", "2026-03-14T09:00:00.001000000Z", "2025-03-14T09:00:00.000000000Z",
            "2036-03-14T09:00:00.000000000Z", "2026-03-14T09:00:05.000000000Z", "1970-01-01T00:00:00.000000001Z",
            "2026-03-14T09:00:06.000000000Z",
        ]
        var lines: [String] = []
        var text = ""
        for round in 0..<30 {
            let trace = [
                "Traceback (most recent call last):", "  File \"app.py\", line \(round), in main",
                "ValueError: round \(round)", "INFO after \(round)",
            ]
            for (index, line) in trace.enumerated() {
                text += "\(times[(round * 4 + index) % times.count]) stdout F \(line)\n"
                lines.append(line)
            }
        }
        scratch.append("logs/clock.log", text)
        let replay = try Spawned(
            [Self.binary, "replay", "--no-summary", scratch.path("logs/clock.log")],
            stdout: .path(scratch.path("out.jsonl")), in: scratch)
        #expect(try replay.wait(timeout: 30).exitCode == 0)
        let out = Self.bodies(scratch.read("out.jsonl")).flatMap { $0.split(separator: "\n").map(String.init) }
        #expect(out == lines)
    }

    // MARK: - Hostile content and scale

    /// One line of 100 MB between two short ones: cut at `--max-line-bytes` (1 MiB) and marked, its rest consumed so
    /// that the next line is whole; peak memory stays far below the line.
    @Test func aLineOf100MegabytesStaysWithinTheBounds() throws {
        let scratch = try Scratch("huge-line")
        defer { scratch.remove() }
        let fd = open(scratch.path("logs/huge.log"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        try Array("INFO before\n".utf8).withUnsafeBytes { try TailProcessTests.writeAll(fd, $0) }
        for _ in 0..<100 { try chunk.withUnsafeBytes { try TailProcessTests.writeAll(fd, $0) } }
        try Array("\nINFO after\n".utf8).withUnsafeBytes { try TailProcessTests.writeAll(fd, $0) }
        close(fd)
        let tail = try WeftProcess(
            ["tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl"], in: scratch)
        try TailProcessTests.waitFor("the line after", timeout: 60) { scratch.read("out.jsonl").contains("after") }
        let peak = tail.status("VmHWM")
        #expect(try tail.terminate() == 0)
        let records = Self.records(scratch.read("out.jsonl"))
        #expect(records.count == 3)
        let attributes = records.map { $0["attributes"] as? [String: Any] ?? [:] }
        #expect((records[1]["body"] as? String)?.utf8.count == 1 << 20)
        #expect(attributes[1]["weft.truncated"] as? Bool == true)
        #expect(records.map { ($0["body"] as? String)?.prefix(11) } == ["INFO before", "xxxxxxxxxxx", "INFO after"])
        #expect(!memoryIsMeasurable || peak < 64 << 20, "peak RSS \(peak >> 20) MiB")
        print("FaultInjectionTests.hugeLine: peak RSS \(peak >> 10) KiB for a 100 MiB line")
    }

    /// 8 MiB of NUL bytes and no newline, then a normal line: valid JSON (`\u0000`), the line cut at the bound, the
    /// next line whole, memory bounded.
    @Test func aFileOfOnlyNULBytes() throws {
        let scratch = try Scratch("nul")
        defer { scratch.remove() }
        let fd = open(scratch.path("logs/nul.log"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for _ in 0..<8 { try zeros.withUnsafeBytes { try TailProcessTests.writeAll(fd, $0) } }
        close(fd)
        let tail = try WeftProcess(
            ["tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl"], in: scratch)
        try TailProcessTests.waitFor("the first MiB of NULs as a record", timeout: 30) {
            scratch.read("out.jsonl").contains("\\u0000")
        }
        scratch.append("logs/nul.log", "\nINFO after\n")
        try TailProcessTests.waitFor("the line after", timeout: 30) { scratch.read("out.jsonl").contains("after") }
        let peak = tail.status("VmHWM")
        #expect(try tail.terminate() == 0)
        let records = Self.records(scratch.read("out.jsonl"))
        #expect(records.count == 2)
        #expect((records.first?["body"] as? String)?.utf8.count == 1 << 20)
        #expect((records.first?["body"] as? String)?.utf8.allSatisfy { $0 == 0 } == true)
        #expect(records.last?["body"] as? String == "INFO after")
        #expect(!memoryIsMeasurable || peak < 64 << 20, "peak RSS \(peak >> 20) MiB")
    }

    /// 10,000 pods on one `kubectl logs --prefix` stream, each first printing the start of a Python traceback (a
    /// pending record), then an ordinary line: more streams than the engine keeps open (4096), so the oldest are let
    /// go, their records leaving early (`buffer_full`), yet every line comes out exactly once and memory stays
    /// bounded. Letting go used to ask every lane whether it held a record for every new stream: this input took
    /// minutes (quadratic); the deadline fails that.
    @Test func tenThousandStreamsAtOnce() throws {
        let scratch = try Scratch("streams")
        defer { scratch.remove() }
        let pods = 10_000
        var text = ""
        text.reserveCapacity(pods * 100)
        var expected: [String: Int] = ["Traceback (most recent call last):": pods]
        for pod in 0..<pods { text += "[pod/api-\(pod)/app] Traceback (most recent call last):\n" }
        for pod in 0..<pods {
            text += "[pod/api-\(pod)/app] INFO done \(pod)\n"
            expected["INFO done \(pod)"] = 1
        }
        scratch.append("logs/pods.log", text)
        let filter = try Spawned(
            [Self.binary, "--format", "kubectl", scratch.path("logs/pods.log")],
            stdout: .path(scratch.path("out.jsonl")), in: scratch)
        let end = try filter.wait(timeout: 150)
        #expect(end.exitCode == 0)
        var got: [String: Int] = [:]
        let records = Self.records(scratch.read("out.jsonl"))
        for record in records {
            for line in (record["body"] as? String ?? "").split(separator: "\n") { got[String(line), default: 0] += 1 }
        }
        #expect(got == expected)
        let early = records.filter {
            ($0["attributes"] as? [String: Any])?["weft.flush_reason"] as? String == "buffer_full"
        }
        #expect(early.count > 0 && early.count <= 2 * pods)
        #expect(!memoryIsMeasurable || end.peakRSS < 96 << 20, "peak RSS \(end.peakRSS >> 20) MiB")
        print("FaultInjectionTests.streams: \(pods) streams, peak RSS \(end.peakRSS >> 10) KiB")
    }

    /// More files than `--max-open-files`, all quiet after one line: the open ones that stay quiet for the rotate
    /// wait give their places up, so every file is read in turn, with descriptors within the bound.
    @Test func filesBeyondTheOpenLimitTakeTurns() throws {
        let scratch = try Scratch("turns")
        defer { scratch.remove() }
        let count = 3000
        for index in 0..<count { scratch.append("logs/f\(index).log", "INFO file \(index)\n") }
        let tail = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--max-open-files", "100",
                "--rotate-wait", "50ms", "--glob-interval", "100ms",
            ], in: scratch)
        var mostDescriptors = 0
        try TailProcessTests.waitFor("a line from every file", timeout: 120) {
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(tail.pid)/fd").count) ?? 0
            mostDescriptors = max(mostDescriptors, descriptors)
            return scratch.read("out.jsonl").split(separator: "\n").count >= count
        }
        // A file grown after it was let go is opened again where it was left.
        scratch.append("logs/f0.log", "INFO file 0 again\n")
        try TailProcessTests.waitFor("the grown file", timeout: 30) { scratch.read("out.jsonl").contains("again") }
        #expect(try tail.terminate() == 0)
        let bodies = Self.bodies(scratch.read("out.jsonl"))
        #expect(bodies.count == count + 1)
        #expect(Set(bodies).count == count + 1)
        #expect(mostDescriptors <= 100 + 32, "\(mostDescriptors) descriptors open")
    }

    // MARK: - A stalled reader

    /// How long the tests below leave their reader stalled: a few seconds, the short form.
    /// `scripts/stalled-reader.py --stall-seconds 300` is the long one (SECURITY.md, "Failure behaviour").
    static let stallSeconds = 3.0
    static let lineLength = 1000

    /// `weft tail` writing to a pipe nobody reads (a consumer that hung) while its file keeps growing: weft blocks in
    /// its write and stays blocked, reads nothing more, keeps its memory flat within the bounds, and saves no
    /// checkpoint past a record it has not written. Once the reader drains, every line arrives exactly once, in
    /// order.
    @Test func aStalledReaderPausesTheCollectorAndLosesNothing() throws {
        let scratch = try Scratch("stalled-tail")
        defer { scratch.remove() }
        let fd = open(scratch.path("logs/app.log"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        var written = 0
        func append(_ count: Int) throws {
            let bytes = Self.numberedLines(written..<written + count)
            try bytes.withUnsafeBytes { try TailProcessTests.writeAll(fd, $0) }
            written += count
        }
        try append(20_000)  // 20 MB: far more than the pipe and weft's buffers hold
        let stdout = Pipe()
        let weft = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--flush-timeout", "100ms", "--checkpoint-interval",
                "50ms", "--round-budget", "16KiB",  // small rounds: a few are written and checkpointed before it blocks
            ], in: scratch, stdout: stdout)
        defer { if weft.process.isRunning { weft.kill9() } }  // a failed wait leaves none behind
        // The application goes on logging while the reader is stalled: 500 lines a second.
        let stall = try Self.stall(weft, on: stdout) { try append(50) }
        let saved = TailProcessTests.checkpointOffsets(scratch.path("state/checkpoints.json")).values.max() ?? 0
        let reading = stdout.fileHandleForReading.fileDescriptor
        var queued: Int32 = 0
        try #require(ioctl(reading, 0x541B, &queued) == 0)  // FIONREAD: all weft wrote, as nobody read any of it
        #expect(stall.stayedBlocked)
        #expect(stall.bytesReadAfter == stall.bytesReadBefore, "read while its reader was stalled")
        #expect(
            !memoryIsMeasurable || (stall.peakRSS < 64 << 20 && stall.peakRSS - stall.rssBefore < 4 << 20),
            "VmRSS \(stall.rssBefore >> 10) KiB at the stall, peak \(stall.peakRSS >> 10) KiB")

        let drained = TailProcessTests.Drain(fd: reading)
        drained.start()
        try TailProcessTests.waitFor("\(written) records", timeout: 60) { drained.newlines >= written }
        // The checkpoint saved during the stall lies within the records that had reached the pipe.
        let recordsWritten = drained.newlines(inFirst: Int(queued))
        #expect(
            saved > 0 && saved <= Int64(recordsWritten * Self.lineLength), "checkpoint \(saved), \(recordsWritten) out")
        #expect(try weft.terminate() == 0)
        drained.wait()
        #expect(drained.leadingNumbers() == Array(0..<written), "records out of order, missing or repeated")
        print(
            "FaultInjectionTests.stalledTail: \(Self.stallSeconds) s stalled, \(written) lines, read "
                + "\(stall.bytesReadBefore >> 10) KiB before the stall and nothing during it, VmRSS "
                + "\(stall.rssBefore >> 10) KiB at its start, peak \(stall.peakRSS >> 10) KiB; checkpoint \(saved) "
                + "with \(recordsWritten) records written")
    }

    /// The filter (`weft FILE`) writing to a pipe nobody reads: it blocks, stops reading its input, and keeps its
    /// memory flat; once the reader drains, every line arrives exactly once, in order, and it exits 0.
    @Test func aStalledReaderPausesTheFilterAndLosesNothing() throws {
        let scratch = try Scratch("stalled-filter")
        defer { scratch.remove() }
        let count = 50_000  // 50 MB
        let fd = open(scratch.path("logs/app.log"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        for start in stride(from: 0, to: count, by: 1000) {
            try Self.numberedLines(start..<start + 1000).withUnsafeBytes { try TailProcessTests.writeAll(fd, $0) }
        }
        close(fd)
        let stdout = Pipe()
        let weft = try WeftProcess(["logs/app.log"], in: scratch, stdout: stdout)
        defer { if weft.process.isRunning { weft.kill9() } }  // a failed wait leaves none behind
        let stall = try Self.stall(weft, on: stdout) {}
        #expect(stall.stayedBlocked)
        #expect(stall.bytesReadAfter == stall.bytesReadBefore, "read while its reader was stalled")
        #expect(stall.bytesReadBefore < 16 << 20, "read \(stall.bytesReadBefore) bytes of 50 MB before blocking")
        #expect(
            !memoryIsMeasurable || (stall.peakRSS < 64 << 20 && stall.peakRSS - stall.rssBefore < 4 << 20),
            "VmRSS \(stall.rssBefore >> 10) KiB at the stall, peak \(stall.peakRSS >> 10) KiB")
        let drained = TailProcessTests.Drain(fd: stdout.fileHandleForReading.fileDescriptor)
        drained.start()
        try TailProcessTests.waitFor("the filter to finish", timeout: 60) { !weft.process.isRunning }
        drained.wait()
        #expect(weft.process.terminationReason == .exit && weft.process.terminationStatus == 0)
        #expect(drained.leadingNumbers() == Array(0..<count), "records out of order, missing or repeated")
        print(
            "FaultInjectionTests.stalledFilter: \(Self.stallSeconds) s stalled, read \(stall.bytesReadBefore >> 10) "
                + "KiB of \((count * Self.lineLength) >> 10) KiB before it, VmRSS \(stall.rssBefore >> 10) KiB, "
                + "peak \(stall.peakRSS >> 10) KiB")
    }

    /// What a process did while its reader was stalled.
    struct Stall {
        var bytesReadBefore: Int
        var bytesReadAfter = 0
        var rssBefore: Int
        var peakRSS: Int
        /// The pipe stayed full throughout.
        var stayedBlocked = true
    }

    /// Waits until `process` blocks writing to `pipe`, then leaves the pipe unread for ``stallSeconds`` (a
    /// deliberate pause: the stall is the fault), calling `meanwhile` and sampling what the process reads and holds
    /// every 100 ms.
    static func stall(_ process: WeftProcess, on pipe: Pipe, meanwhile: () throws -> Void) throws -> Stall {
        try TailProcessTests.waitFor("weft to block writing to the full pipe", timeout: 30) {
            process.isBlockedWriting(to: pipe)
        }
        let rss = process.status("VmRSS")
        var stall = Stall(bytesReadBefore: process.bytesRead, rssBefore: rss, peakRSS: rss)
        let end = Date().addingTimeInterval(stallSeconds)
        while Date() < end {
            usleep(100_000)
            try meanwhile()
            stall.peakRSS = max(stall.peakRSS, process.status("VmRSS"))
            // Its pipe stays full (the process itself may wake for a moment: what counts is that nothing moves).
            var queued: Int32 = 0
            let capacity = fcntl(pipe.fileHandleForReading.fileDescriptor, 1032)  // F_GETPIPE_SZ
            stall.stayedBlocked =
                stall.stayedBlocked && ioctl(pipe.fileHandleForReading.fileDescriptor, 0x541B, &queued) == 0
                && Int(capacity) - Int(queued) < 4096
        }
        stall.bytesReadAfter = process.bytesRead
        return stall
    }

    /// `L<8-digit number> xxx…\n`, ``lineLength`` bytes each.
    static func numberedLines(_ range: Range<Int>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(range.count * lineLength)
        let padding = [UInt8](repeating: UInt8(ascii: "x"), count: lineLength - 11)
        for number in range {
            bytes += Array(String(format: "L%08d ", number).utf8)
            bytes += padding
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    // MARK: - Unreadable files

    /// Whether weft can be run as an unprivileged user (root reads a mode-000 file anyway).
    static let canRunAsNobody = FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") && getuid() == 0

    /// A followed file made unreadable (chmod 000) after weft opened it: permissions are checked when a file is
    /// opened, so weft reads on through the descriptor it holds, without a message; the lines written after the
    /// chmod arrive, each once.
    @Test(.enabled(if: canRunAsNobody)) func aFileMadeUnreadableAfterItWasOpenedIsReadOn() throws {
        let scratch = try Scratch("chmod-open")
        defer { scratch.remove() }
        chmod(scratch.url.path, 0o777)
        chmod(scratch.path("logs"), 0o755)
        var writer = try TailProcessTests.LogWriter(path: scratch.path("logs/app.log"))
        defer { writer.close() }
        try writer.write(lines: 5)
        let output = TailProcessTests.RecordsFile(path: scratch.path("out.jsonl"))
        let weft = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "20ms",
                "--glob-interval", "50ms", "--poll-interval", "50ms",
            ], in: scratch, asNobody: true)
        defer { if weft.process.isRunning { weft.kill9() } }  // a failed wait leaves none behind
        try TailProcessTests.waitFor("the lines before the chmod", timeout: 20) {
            try output.poll()
            return output.sequences.contains(4)
        }
        #expect(chmod(scratch.path("logs/app.log"), 0) == 0)
        try writer.write(lines: 5)
        try TailProcessTests.waitFor("the lines after the chmod", timeout: 20) {
            try output.poll()
            return output.sequences.contains(9)
        }
        #expect(try weft.terminate() == 0)
        try output.poll()
        #expect(output.lines.map(\.sequence) == Array(0..<10))
        #expect(!scratch.read("stderr.txt").contains("cannot"), "\(scratch.read("stderr.txt"))")
    }

    /// Files that appear unreadable: the file that takes a rotated file's name (logrotate's `create 0600 someone`)
    /// and a new file in the glob. For each, one warning naming it, not one per scan; every failed attempt counted
    /// (`open_failures`, the `weft_file_open_failures_total` metric); retried at every scan; once readable, read from
    /// its first line, none lost. The rotated file is read to its end meanwhile.
    @Test(.enabled(if: canRunAsNobody)) func unreadableNewFilesAreRetriedUntilTheyCanBeRead() throws {
        let scratch = try Scratch("chmod-new")
        defer { scratch.remove() }
        chmod(scratch.url.path, 0o777)
        chmod(scratch.path("logs"), 0o755)
        var writer = try TailProcessTests.LogWriter(path: scratch.path("logs/app.log"))
        defer { writer.close() }
        try writer.write(lines: 5)  // seq 0...4 in app.log, readable
        let output = TailProcessTests.RecordsFile(path: scratch.path("out.jsonl"))
        let weft = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "20ms",
                "--glob-interval", "50ms", "--poll-interval", "50ms", "--rotate-wait", "100ms", "--stats-interval",
                "50ms",
            ], in: scratch, asNobody: true)
        defer { if weft.process.isRunning { weft.kill9() } }  // a failed wait leaves none behind
        try TailProcessTests.waitFor("app.log's first lines", timeout: 20) {
            try output.poll()
            return output.sequences.contains(4)
        }
        try writer.write(lines: 5)  // seq 5...9, still to app.log
        try writer.rotateByRename(mode: 0)  // app.log → app.log.0; the new app.log is mode 000
        try writer.write(lines: 5)  // seq 10...14 in the unreadable app.log
        let fresh = open(scratch.path("logs/new.log"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)
        try #require(fresh >= 0)
        try Array("INFO seq=15 gen=99 in new.log\n".utf8).withUnsafeBytes { try TailProcessTests.writeAll(fresh, $0) }
        close(fresh)
        try TailProcessTests.waitFor("ten failed attempts or more", timeout: 20) {
            Int(TailProcessTests.lastStatistics(scratch.read("stderr.txt"))["open_failures"] ?? "0")! >= 10
        }
        try output.poll()
        #expect(output.sequences.contains(9), "the rotated file is read to its end meanwhile")
        #expect(!output.sequences.contains(10) && !output.sequences.contains(15))
        let log = scratch.read("stderr.txt").split(separator: "\n")
        for name in ["logs/app.log", "logs/new.log"] {
            let warnings = log.filter { $0.contains("cannot open file") && $0.contains("path=\(name) ") }
            #expect(warnings.count == 1, "\(name): \(warnings)")
            #expect(warnings.first?.contains("Permission denied") == true)
        }
        chmod(scratch.path("logs/app.log"), 0o644)
        chmod(scratch.path("logs/new.log"), 0o644)
        try TailProcessTests.waitFor("the lines of both files once readable", timeout: 20) {
            try output.poll()
            return output.sequences.isSuperset(of: [14, 15])
        }
        #expect(try weft.terminate() == 0)
        try output.poll()
        #expect(output.lines.map(\.sequence).sorted() == Array(0..<16), "every line once")
        print(
            "FaultInjectionTests.unreadable: "
                + "\(TailProcessTests.lastStatistics(scratch.read("stderr.txt"))["open_failures"] ?? "?") failed opens, "
                + "one warning per file")
    }

    // MARK: - Helpers

    static func records(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func bodies(_ text: String) -> [String] { records(text).compactMap { $0["body"] as? String } }

    @discardableResult
    static func shell(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A process started with posix_spawn, so that its standard descriptors can be closed or a broken pipe, and its
    /// end read with wait4 (exit code or signal), with its peak RSS sampled while it runs.
    struct Spawned {
        enum Output {
            case path(String)
            case null
            case closed
            /// A pipe whose reading end is closed before the process writes.
            case brokenPipe
        }

        struct End {
            var exitCode: Int32?
            var signal: Int32?
            /// The highest VmHWM seen while it ran (sampled every 5 ms; wait4's ru_maxrss would report the test
            /// runner's own peak, which Linux carries over an exec from a vfork).
            var peakRSS: Int
        }

        let pid: pid_t

        /// Starts `arguments` (the executable first); stdin is /dev/null, stderr goes to scratch's stderr.txt unless
        /// closed, stdout as asked (`.null` by default: scratch's stdout.txt). SIGPIPE is default in the child,
        /// whatever this runner does with it, or ignored (`trap '' PIPE` in a shell that then execs it).
        init(
            _ arguments: [String], stdout: Output = .null, stderr: Output = .null, ignoringSIGPIPE: Bool = false,
            in scratch: Scratch
        ) throws {
            let arguments =
                ignoringSIGPIPE ? ["/bin/sh", "-c", "trap '' PIPE; exec \"$0\" \"$@\""] + arguments : arguments
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            var pipeEnds: [Int32] = [-1, -1]
            switch stdout {
            case .path(let path):
                posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .null:
                posix_spawn_file_actions_addopen(
                    &actions, 1, scratch.path("stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .closed:
                posix_spawn_file_actions_addclose(&actions, 1)
            case .brokenPipe:
                guard pipe(&pipeEnds) == 0 else { throw TailProcessTests.Failure("pipe") }
                close(pipeEnds[0])  // no reader, ever
                posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
                posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
            }
            if case .closed = stderr {
                posix_spawn_file_actions_addclose(&actions, 2)
            } else {
                posix_spawn_file_actions_addopen(
                    &actions, 2, scratch.path("stderr.txt"), O_WRONLY | O_CREAT | O_APPEND, 0o644)
            }
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var defaults = sigset_t()
            sigemptyset(&defaults)
            sigaddset(&defaults, SIGPIPE)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
            var pid: pid_t = 0
            let argv = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
            if pipeEnds[1] >= 0 { close(pipeEnds[1]) }
            guard result == 0 else { throw TailProcessTests.Failure("posix_spawn \(arguments[0]): \(result)") }
            self.pid = pid
        }

        /// Waits for the end; kills the process and fails after `timeout` seconds.
        func wait(timeout: Double) throws -> End {
            let deadline = Date().addingTimeInterval(timeout)
            var status: Int32 = 0
            var usage = rusage()
            var peak = 0
            while true {
                if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                    let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                    let kib = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({
                        Int($0)
                    })
                {
                    peak = max(peak, kib << 10)
                }
                let done = wait4(pid, &status, WNOHANG, &usage)
                if done == pid { break }
                if Date() > deadline {
                    kill(pid, SIGKILL)
                    _ = wait4(pid, &status, 0, &usage)
                    throw TailProcessTests.Failure("process \(pid) still running after \(timeout) s")
                }
                usleep(5_000)
            }
            let signal = status & 0x7F
            return End(
                exitCode: signal == 0 ? (status >> 8) & 0xFF : nil, signal: signal == 0 ? nil : signal,
                peakRSS: peak)
        }

        /// SIGTERM, then the exit code.
        func terminate(timeout: Double = 20) throws -> Int32? {
            kill(pid, SIGTERM)
            return try wait(timeout: timeout).exitCode
        }
    }
}
