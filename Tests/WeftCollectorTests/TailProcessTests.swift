import Foundation
import Testing
import WeftCollector
import WeftTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `weft tail` as a real process on real files: `kill -9` and restarts across rotations, an output that blocks, SIGTERM
/// with a pending trace, a thousand files. The binary is the one `swift build --build-tests` puts next to the tests.
///
/// Nothing here sleeps for a flush timeout: each wait is for something observable (a record in the output, a counter
/// in `--stats-interval`'s lines, a checkpoint on disk, the process blocked in `write(2)`), with a deadline that fails
/// the test. The only deliberate pauses are the seeded, random lengths of the rounds before a `kill -9`, and the
/// writer's short pauses between batches (so that writing is continuous rather than one burst).
@Suite(.serialized) struct TailProcessTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("weft")

    // MARK: - kill -9 and restart across rotations

    /// Six rounds of: write continuously to logs/app.log (rotating it by rename to app.log.<generation>, outside the
    /// glob), `kill -9` at a seeded random moment, write more while weft is down, restart. Some rounds rotate while
    /// weft is down, one kills it in the middle of a rotation (the writer still appending to the renamed file), one
    /// deletes the file while it is open. At the end, every line written is in the output, in order per file.
    @Test func killNineAndRestartAcrossRotationsLosesNothing() throws {
        let scratch = try Scratch("kill9")
        defer { scratch.remove() }
        var writer = try LogWriter(path: scratch.path("logs/app.log"))
        defer { writer.close() }
        var random = SplitMix64(seed: 0x5EED_7A11)
        let output = RecordsFile(path: scratch.path("out.jsonl"))
        let arguments = [
            "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "50ms",
            "--rotate-wait", "300ms", "--checkpoint-interval", "50ms", "--glob-interval", "100ms",
            "--poll-interval", "50ms",
        ]
        let state = scratch.path("state")
        var weft = try WeftProcess(arguments, in: scratch)
        var kills = 0
        var rotationsWhileDown = 0
        /// What the test did, when (seconds from the start), at which line and file: printed if a line goes missing.
        var events: [String] = []
        let started = Date()
        func event(_ what: String) {
            events.append(
                String(format: "%7.3f", Date().timeIntervalSince(started))
                    + " seq=\(writer.sequence) gen=\(writer.generation) inode=\(writer.inode) " + what)
        }

        /// Writes batches for `seconds`, and rotates by rename once the generation is long enough and weft has
        /// shown that it found the file (a record of it in the output) and saved it in its checkpoints. A file
        /// renamed out of the glob before weft opened it cannot be followed by any glob-based collector; one
        /// renamed before its first checkpoint is lost if weft is killed before it reads the rest (see
        /// `newFileRotatedWhileDownBeforeItsFirstCheckpoint`).
        func writeFor(_ seconds: Double, rotateEvery: Int) throws {
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                try writer.write(lines: 5)
                if writer.linesInGeneration >= rotateEvery {
                    try output.poll()
                    if output.generations.contains(writer.generation)
                        && writer.isSaved(in: Self.savedCheckpoints(state))
                    {
                        event("rotate by rename (up)")
                        try writer.rotateByRename()
                    }
                }
                usleep(1_000)
            }
        }
        /// Keeps writing until the saved checkpoints name the file being written (what a restart needs to find it
        /// by inode after a rotation while weft is down). By its identity, not its inode alone: a checkpoint left for
        /// a file deleted while open (round 2) names the same inode when the file system gives it to a later file,
        /// and a weft still starting (AddressSanitizer's start takes a third of a second here) has not yet seen that
        /// file; killed then, and the file renamed out of the glob, no weft could ever find it.
        func writeUntilCheckpointed() throws {
            try Self.waitFor("the checkpoint of generation \(writer.generation)", timeout: 20) {
                try writer.write(lines: 5)
                return writer.isSaved(in: Self.savedCheckpoints(state))
            }
        }

        for round in 0..<6 {
            let rotateEvery = 300 + Int(random.next() % 700)
            try writeFor(0.1 + Double(random.next() % 400) / 1000, rotateEvery: rotateEvery)
            event("round \(round)")
            switch round {
            case 2:
                // Deleted while open: the writer goes on writing to the unlinked file, weft reads it to its end.
                try writeUntilCheckpointed()
                event("unlink keeping open")
                try writer.unlinkKeepingOpen()
                try writer.write(lines: 200)
                let last = writer.sequence - 1
                try Self.waitFor("line \(last) of the deleted file", timeout: 20) {
                    try output.poll()
                    return output.sequences.contains(last)
                }
                event("deleted file's last line seen; recreate")
                try writer.recreate()
                try writeFor(0.05, rotateEvery: .max)
            case 0, 4:
                // Killed in the middle of a rotation: renamed, its writer still appending to it.
                try writeUntilCheckpointed()
                event("rename keeping open")
                try writer.renameKeepingOpen()
                try writer.write(lines: 100)
            default:
                break
            }
            let rotateWhileDown = round % 2 == 1
            if rotateWhileDown { try writeUntilCheckpointed() }
            event("kill -9 (weft's log has \(scratch.read("stderr.txt").split(separator: "\n").count) lines)")
            weft.kill9()
            kills += 1
            try writer.write(lines: 200)
            if writer.isRenamed {
                try writer.write(lines: 100)  // still to the renamed file
                event("recreate (down)")
                try writer.recreate()
                try writer.write(lines: 100)
            }
            if rotateWhileDown {
                event("rotate by rename (down)")
                try writer.rotateByRename()
                try writer.write(lines: 200)
                rotationsWhileDown += 1
            }
            event("restart")
            weft = try WeftProcess(arguments, in: scratch)
        }
        try writeFor(0.2, rotateEvery: .max)
        let written = writer.sequence
        event("written")
        do {
            try Self.waitFor("all \(written) lines in the output", timeout: 30) {
                try output.poll()
                return output.distinctCount == written
            }
        } catch {
            // Which lines, from which files, and what happened when: what the next look at a failure needs.
            let missing = (0..<written).filter { !output.sequences.contains($0) }
            print(
                "TailProcessTests.kill9: \(missing.count) lines missing, by file: "
                    + Self.ranges(missing, generationOf: writer.generationOf) + "\n" + events.joined(separator: "\n"))
            throw error
        }
        let status = try weft.terminate()
        #expect(status == 0)
        try output.poll()

        // Every line at least once, and per file (generation) in increasing order once repeats are dropped.
        let missing = (0..<written).filter { !output.sequences.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) lines missing, first \(missing.prefix(10))")
        var seen = Set<Int>()
        var lastByGeneration: [Int: Int] = [:]
        var outOfOrder = 0
        for line in output.lines where seen.insert(line.sequence).inserted {
            if let previous = lastByGeneration[line.generation], previous > line.sequence { outOfOrder += 1 }
            lastByGeneration[line.generation] = line.sequence
            #expect(writer.generationOf[line.sequence] == line.generation)
        }
        #expect(outOfOrder == 0)
        // Repeats are bounded: a restart re-reads at most what came after its file's last checkpoint, so no line
        // comes out more often than once per start.
        var occurrences: [Int: Int] = [:]
        for line in output.lines { occurrences[line.sequence, default: 0] += 1 }
        let duplicates = output.lines.count - occurrences.count
        #expect(occurrences.values.allSatisfy { $0 <= kills + 1 })
        #expect(duplicates < written)
        let log = scratch.read("stderr.txt")
        #expect(log.contains("while weft was stopped"), "no rotated file was looked up by inode after a restart")
        print(
            "TailProcessTests.kill9: \(written) lines in \(writer.generation + 1) files, \(kills) kills "
                + "(\(rotationsWhileDown) rotations while down), \(output.lines.count) lines out, "
                + "\(duplicates) duplicates, \(output.tornLines) torn output lines")
    }

    // MARK: - Backpressure

    /// The output is a pipe nobody reads: weft blocks in write(2), stops reading its file, and its memory stays
    /// flat; once the pipe is drained every line arrives exactly once.
    @Test func blockedOutputStopsReadingThenDeliversEverything() throws {
        let scratch = try Scratch("backpressure")
        defer { scratch.remove() }
        let log = scratch.path("logs/app.log")
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        defer { Glibc.close(fd) }
        let stdout = Pipe()
        let weft = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--flush-timeout", "100ms", "--checkpoint-interval",
                "50ms", "--stats-interval", "100ms",
            ], in: scratch, stdout: stdout)
        try Self.waitFor("weft to follow logs/app.log", timeout: 20) {
            scratch.read("stderr.txt").contains("following")
        }

        // 50 MB of 1000-byte lines, in 1 MiB writes.
        let lineLength = FaultInjectionTests.lineLength
        func lines(_ range: Range<Int>) -> [UInt8] { FaultInjectionTests.numberedLines(range) }
        var total = 0
        func append(_ count: Int) throws {
            var next = total
            while next < total + count {
                let chunk = lines(next..<min(next + 1024, total + count))
                try chunk.withUnsafeBytes { try Self.writeAll(fd, $0) }
                next += 1024
            }
            total += count
        }
        try append(50_000)

        try Self.waitFor("weft to block writing to the full pipe", timeout: 30) { weft.isBlockedWriting(to: stdout) }
        let readWhenBlocked = weft.bytesRead
        let rssWhenBlocked = weft.status("VmRSS")
        try append(5_000)  // more input while blocked is not read
        #expect(weft.isBlockedWriting(to: stdout))
        #expect(weft.bytesRead == readWhenBlocked)
        #expect(readWhenBlocked < 16 << 20, "read \(readWhenBlocked) bytes of 55 MB while its output was blocked")
        let savedOffset = Self.checkpointOffsets(scratch.path("state/checkpoints.json")).values.max() ?? 0
        #expect(savedOffset <= readWhenBlocked)
        #expect(
            rssWhenBlocked > 0 && (!memoryIsMeasurable || rssWhenBlocked < 64 << 20),
            "VmRSS \(rssWhenBlocked) bytes while blocked")

        // Drain: every line arrives, once, in order.
        let drained = Drain(fd: stdout.fileHandleForReading.fileDescriptor)
        drained.start()
        var peakRSS = rssWhenBlocked
        try Self.waitFor("\(total) records on stdout", timeout: 60) {
            peakRSS = max(peakRSS, weft.status("VmRSS"))
            return drained.newlines >= total
        }
        let highWater = weft.status("VmHWM")
        let status = try weft.terminate()
        #expect(status == 0)
        drained.wait()
        #expect(drained.newlines == total)
        let numbers = drained.leadingNumbers()
        #expect(numbers.count == total)
        #expect(numbers == Array(0..<total), "records out of order, missing or repeated")
        #expect(highWater > 0 && (!memoryIsMeasurable || highWater < 64 << 20), "VmHWM \(highWater) bytes")
        print(
            "TailProcessTests.backpressure: read \(readWhenBlocked) bytes before blocking (of \(total * lineLength)), "
                + "VmRSS \(rssWhenBlocked >> 10) KiB blocked, VmHWM \(highWater >> 10) KiB")
    }

    // MARK: - Shutdown with a pending trace

    @Test func sigtermFlushesAPendingTraceOnceAndCheckpointsPastIt() throws {
        let scratch = try Scratch("sigterm")
        defer { scratch.remove() }
        let trace = """
            Traceback (most recent call last):
              File "/app/main.py", line 3, in <module>
                main()
            ValueError: boom
            """
        scratch.append("logs/app.log", "INFO before the trace\n" + trace + "\n")
        let size = scratch.size("logs/app.log")
        let arguments = [
            "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "1h",
            "--checkpoint-interval", "50ms", "--stats-interval", "50ms",
        ]
        let output = RecordsFile(path: scratch.path("out.jsonl"))
        var weft = try WeftProcess(arguments, in: scratch)
        try Self.waitFor("the line before the trace, and the trace read", timeout: 20) {
            try output.poll()
            return output.bodies.contains("INFO before the trace")
                && Self.lastStatistics(scratch.read("stderr.txt"))["bytes_read"] == "\(size)"
        }
        #expect(try weft.terminate() == 0)
        try output.poll()
        #expect(output.records.count == 2)
        let flushed = output.records.last
        #expect(flushed?.body == trace)
        #expect(flushed?.attributes["weft.flush_reason"] as? String == "shutdown")
        #expect(flushed?.attributes["weft.parser"] as? String == "python")
        #expect(Self.checkpointOffsets(scratch.path("state/checkpoints.json")).values.first == Int64(size))

        scratch.append("logs/app.log", "INFO after 1\nINFO after 2\n")
        weft = try WeftProcess(arguments, in: scratch)
        try Self.waitFor("the first line after the restart", timeout: 20) {
            try output.poll()
            return output.bodies.contains("INFO after 1")
        }
        #expect(try weft.terminate() == 0)
        try output.poll()
        #expect(output.bodies == ["INFO before the trace", trace, "INFO after 1", "INFO after 2"])
        #expect(output.records.last?.attributes["weft.flush_reason"] as? String == "shutdown")
    }

    // MARK: - A thousand files

    @Test func aThousandFilesAtOnce() throws {
        let scratch = try Scratch("thousand")
        defer { scratch.remove() }
        Self.raiseOpenFileLimit(to: 4096)
        let files = 1000
        let linesPerFile = 3
        for file in 0..<files {
            scratch.append(
                "logs/" + String(format: "f%04d.log", file),
                (0..<linesPerFile).map { "INFO file=\(file) line=\($0)\n" }.joined())
        }
        let weft = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "100ms",
                "--stats-interval", "100ms", "--checkpoint-interval", "100ms",
            ], in: scratch)
        let output = RecordsFile(path: scratch.path("out.jsonl"))
        try Self.waitFor("\(files * linesPerFile) records", timeout: 30) {
            try output.poll()
            return output.records.count >= files * linesPerFile
        }
        try Self.waitFor("statistics with every record", timeout: 20) {
            Self.lastStatistics(scratch.read("stderr.txt"))["records"] == "\(files * linesPerFile)"
        }
        let statistics = Self.lastStatistics(scratch.read("stderr.txt"))
        let highWater = weft.status("VmHWM")
        #expect(statistics["files_open"] == "\(files)")
        #expect(statistics["open_failures"] == "0")
        #expect(try weft.terminate() == 0)
        try output.poll()
        #expect(output.records.count == files * linesPerFile)
        var byPath: [String: [String]] = [:]
        for record in output.records {
            byPath[record.attributes["log.file.path"] as? String ?? "?", default: []].append(record.body)
        }
        #expect(byPath.count == files)
        for file in 0..<files {
            let path = "logs/" + String(format: "f%04d.log", file)
            #expect(byPath[path] == (0..<linesPerFile).map { "INFO file=\(file) line=\($0)" })
        }
        #expect(highWater > 0 && (!memoryIsMeasurable || highWater < 64 << 20), "VmHWM \(highWater) bytes")
        print("TailProcessTests.thousand: \(files) files open, VmHWM \(highWater >> 10) KiB (debug build)")
    }

    /// A file the collector may not read (mode 000, weft not root): a clear message on stderr naming it, once, and
    /// the other files go on.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") && getuid() == 0))
    func anUnreadableFileIsReportedAndTheOthersGoOn() throws {
        let scratch = try Scratch("unreadable")
        defer { scratch.remove() }
        scratch.append("logs/open.log", "INFO readable 1\nINFO readable 2\n")
        scratch.append("logs/secret.log", "INFO never read\n")
        chmod(scratch.path("logs/secret.log"), 0)
        chmod(scratch.url.path, 0o777)
        chmod(scratch.path("logs"), 0o755)
        let output = RecordsFile(path: scratch.path("out.jsonl"))
        let weft = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "20ms",
                "--glob-interval", "50ms",
            ], in: scratch, asNobody: true)
        try Self.waitFor("open.log's lines", timeout: 20) {
            try output.poll()
            return output.bodies.contains("INFO readable 2")
        }
        usleep(200_000)  // several glob scans: the message must not repeat
        #expect(try weft.terminate() == 0)
        let messages = scratch.read("stderr.txt").split(separator: "\n").filter { $0.contains("secret.log") }
        #expect(messages.count == 1)
        #expect(messages.first?.contains("cannot open") == true)
        #expect(messages.first?.contains("Permission denied") == true)
        try output.poll()
        #expect(!output.bodies.contains("INFO never read"))
    }

    /// `--log-format json`: every line Weft writes about itself on stderr is one JSON object; `--log-level` hides
    /// what is below it. The records stay in their own output.
    @Test(arguments: ["info", "warning"])
    func selfLogIsJSONWhenAskedForAndFiltersByLevel(level: String) throws {
        let scratch = try Scratch("self-log")
        defer { scratch.remove() }
        scratch.append("logs/app.log", "INFO one\n")
        let output = RecordsFile(path: scratch.path("out.jsonl"))
        let weft = try WeftProcess(
            [
                "tail", "logs/*.log", "missing/*.log", "--state-dir", "state", "--output", "out.jsonl",
                "--flush-timeout", "20ms", "--log-format", "json", "--log-level", level,
            ], in: scratch)
        try Self.waitFor("the record", timeout: 20) {
            try output.poll()
            return output.bodies == ["INFO one"]
        }
        #expect(try weft.terminate() == 0)
        let lines = scratch.read("stderr.txt").split(separator: "\n")
        let objects = lines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
        #expect(objects.count == lines.count, "every line is a JSON object: \(lines)")
        let following = objects.filter { $0["msg"] == "following file" }
        if level == "info" {
            #expect(following.count == 1)
            #expect(following.first?["path"] == "logs/app.log")
            #expect(following.first?["level"] == "info")
            #expect(following.first?["time"]?.hasSuffix("Z") == true)
        } else {
            #expect(following.isEmpty)
            #expect(objects.allSatisfy { ["warning", "error", "critical"].contains($0["level"] ?? "") })
        }
    }

    /// SIGHUP after a log rotator moved `--output` away: weft writes to a new file at the path, the moved one keeps
    /// what was written before.
    @Test func sighupReopensTheOutputFile() throws {
        let scratch = try Scratch("sighup")
        defer { scratch.remove() }
        scratch.append("logs/app.log", "INFO before 1\nINFO before 2\n")
        let before = RecordsFile(path: scratch.path("out.jsonl"))
        let weft = try WeftProcess(
            ["tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "20ms"],
            in: scratch)
        defer { if weft.process.isRunning { weft.kill9() } }
        try Self.waitFor("the first lines", timeout: 20) {
            try before.poll()
            return before.bodies.contains("INFO before 2")
        }
        #expect(rename(scratch.path("out.jsonl"), scratch.path("out.jsonl.1")) == 0)
        kill(weft.pid, SIGHUP)
        try Self.waitFor("weft to reopen its output", timeout: 20) {
            scratch.read("stderr.txt").contains(#"msg="reopened the output" path=out.jsonl"#)
        }
        scratch.append("logs/app.log", "INFO after\n")
        let after = RecordsFile(path: scratch.path("out.jsonl"))
        try Self.waitFor("the line written after the reopening", timeout: 20) {
            try after.poll()
            return after.bodies.contains("INFO after")
        }
        #expect(try weft.terminate() == 0)
        let moved = RecordsFile(path: scratch.path("out.jsonl.1"))
        try moved.poll()
        #expect(moved.bodies == ["INFO before 1", "INFO before 2"])
        #expect(after.bodies == ["INFO after"])
    }

    // MARK: - Found by the soak (each failed before its fix)

    /// A file weft opened after its last checkpoint write, killed before the next write and rotated out of the glob
    /// while weft is down: the restart must know its inode to find it. Weft writes a checkpoint as soon as it opens a
    /// file no saved checkpoint knows.
    @Test func newFileRotatedWhileDownBeforeItsFirstCheckpoint() throws {
        let scratch = try Scratch("window")
        defer { scratch.remove() }
        var writer = try LogWriter(path: scratch.path("logs/app.log"))
        defer { writer.close() }
        let output = RecordsFile(path: scratch.path("out.jsonl"))
        let arguments = [
            "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "20ms",
            "--checkpoint-interval", "1h", "--glob-interval", "50ms",
        ]
        try writer.write(lines: 1)  // seq 0 in generation 0
        var weft = try WeftProcess(arguments, in: scratch)
        try Self.waitFor("generation 0 read and checkpointed", timeout: 20) {
            try output.poll()
            return output.sequences.contains(0)
                && Self.checkpointedInodes(scratch.path("state/checkpoints.json")).contains(writer.inode)
        }
        try writer.rotateByRename()
        try writer.write(lines: 1)  // seq 1 in generation 1, which weft opens and reads
        try Self.waitFor("generation 1 read", timeout: 20) {
            try output.poll()
            return output.sequences.contains(1)
        }
        weft.kill9()
        try writer.write(lines: 1)  // seq 2, while weft is down
        try writer.rotateByRename()
        try writer.write(lines: 1)  // seq 3 in generation 2
        weft = try WeftProcess(arguments, in: scratch)
        try Self.waitFor("generation 2 read", timeout: 20) {
            try output.poll()
            return output.sequences.contains(3)
        }
        #expect(try weft.terminate() == 0)
        try output.poll()
        #expect(output.sequences.contains(2), "line 2 of logs/app.log.1 (rotated while weft was down) is lost")
    }

    /// A checkpoint left for an inode that the file system has since given to a new file (ext4 hands a freed inode to
    /// the next file at once: a file deleted while open, and weft killed before it let it go). Weft reads the new file
    /// from 0 and must save the new file's checkpoint at once, as for a file no checkpoint knows: a restart looks a
    /// file rotated out of the glob up by inode and fingerprint, and the old file's fingerprint makes it pass the new
    /// one by. At the first round every checkpoint is saved anyway; the window is a file opened later, here one that
    /// waited its turn behind `--max-open-files 1`.
    @Test func aFileWithAStaleCheckpointsInodeIsCheckpointedAtOnce() throws {
        let scratch = try Scratch("stale")
        defer { scratch.remove() }
        scratch.append("logs/a.log", "INFO a\n")  // takes the one place first
        var writer = try LogWriter(path: scratch.path("logs/app.log"))
        defer { writer.close() }
        try writer.write(lines: 1)  // seq 0
        var info = stat()
        try #require(stat(scratch.path("logs/app.log"), &info) == 0)
        // What a deleted file with the same inode left: another fingerprint (of its first 16 bytes), read to 16.
        try FileManager.default.createDirectory(atPath: scratch.path("state"), withIntermediateDirectories: true)
        scratch.append(
            "state/checkpoints.json",
            #"{"files":[{"device":\#(info.st_dev),"fingerprint":1234,"fingerprint_length":16,"inode":\#(writer.inode),"#
                + #""offset":16,"path":"logs/app.log"}],"version":1}"#)
        let output = RecordsFile(path: scratch.path("out.jsonl"))
        let arguments = [
            "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "20ms",
            "--checkpoint-interval", "1h", "--glob-interval", "50ms", "--max-open-files", "1", "--rotate-wait",
            "100ms",
        ]
        var weft = try WeftProcess(arguments, in: scratch)
        defer { if weft.process.isRunning { weft.kill9() } }  // a failed wait leaves none behind
        try Self.waitFor("line 0, read from the file's start", timeout: 20) {
            try output.poll()
            return output.sequences.contains(0)
        }
        try #require(output.bodies.first == "INFO a", "a.log was to be opened first")
        try Self.waitFor("the new file's checkpoint in place of the stale one", timeout: 20) {
            writer.isSaved(in: Self.savedCheckpoints(scratch.path("state")))
        }
        weft.kill9()
        try writer.write(lines: 1)  // seq 1, while weft is down
        try writer.rotateByRename()  // to app.log.0, out of the glob
        try writer.write(lines: 1)  // seq 2 in the new app.log
        weft = try WeftProcess(arguments, in: scratch)
        try Self.waitFor("lines 1 and 2", timeout: 20) {
            try output.poll()
            return output.sequences.isSuperset(of: [1, 2])
        }
        #expect(try weft.terminate() == 0)
    }

    /// A file deleted while open is read to its end and let go; its inode is then free, and on ext4 the next file
    /// created gets the same number at once. Weft must not take the new file for the old one: it forgets deleted
    /// files, and checks a remembered file's fingerprint, not only its inode. Where the file system does not reuse
    /// the inode at once, the scenario does not arise and the test checks only that b.log is read.
    @Test func newFileReusingADeletedFilesInodeIsRead() throws {
        let scratch = try Scratch("reuse")
        defer { scratch.remove() }
        scratch.append("logs/a.log", (0..<50).map { "INFO a \($0) padding padding padding\n" }.joined())
        let output = RecordsFile(path: scratch.path("out.jsonl"))
        let weft = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "20ms",
                "--rotate-wait", "100ms", "--stats-interval", "20ms",
            ], in: scratch)
        try Self.waitFor("a.log read", timeout: 20) {
            try output.poll()
            return output.bodies.contains("INFO a 49 padding padding padding")
        }
        var info = stat()
        stat(scratch.path("logs/a.log"), &info)
        let oldInode = info.st_ino
        unlink(scratch.path("logs/a.log"))
        try Self.waitFor("a.log let go", timeout: 20) {
            Self.lastStatistics(scratch.read("stderr.txt"))["files_released"] == "1"
        }
        scratch.append("logs/b.log", "INFO b 0\nINFO b 1\n")
        stat(scratch.path("logs/b.log"), &info)
        let reused = info.st_ino == oldInode
        // b.log is found at once (inotify) or at the next glob scan (1 s): wait for its last line's flush, or for
        // two scans' worth to pass when it is (wrongly) skipped.
        let deadline = Date().addingTimeInterval(reused ? 2.5 : 20)
        while Date() < deadline {
            try output.poll()
            if output.bodies.contains("INFO b 1") { break }
            usleep(10_000)
        }
        #expect(try weft.terminate() == 0)
        try output.poll()
        #expect(
            output.bodies.suffix(2) == ["INFO b 0", "INFO b 1"],
            "b.log unread (its inode is \(reused ? "" : "not ")the deleted a.log's)")
    }

    /// SIGTERM while the output blocks (a consumer that stopped reading): weft's writes wait in poll(2) beside its
    /// signal descriptor, so it stops, gives the output `--shutdown-timeout`, and exits 0 without an orchestrator's
    /// SIGKILL.
    @Test func sigtermWhileTheOutputIsBlockedExitsWithinTheShutdownTimeout() throws {
        let scratch = try Scratch("blocked-term")
        defer { scratch.remove() }
        let text = (0..<20_000).map { "INFO line \($0) " + String(repeating: "y", count: 200) + "\n" }.joined()
        scratch.append("logs/app.log", text)
        let stdout = Pipe()
        let weft = try WeftProcess(
            ["tail", "logs/*.log", "--state-dir", "state", "--shutdown-timeout", "200ms"], in: scratch,
            stdout: stdout)
        defer { if weft.process.isRunning { weft.kill9() } }
        try Self.waitFor("weft to block writing to the full pipe", timeout: 30) { weft.isBlockedWriting(to: stdout) }
        let started = Date()
        let status = try weft.terminate(timeout: 5)
        // --shutdown-timeout 200ms bounds the flush and the wait for acknowledgements together.
        #expect(Date().timeIntervalSince(started) < 1.5)
        #expect(status == 0)
    }

    /// More files than the soft descriptor limit allows (`ulimit -Sn 64`, 80 files): weft raises its soft limit to
    /// the hard one, keeps `--max-open-files` below the limit, and a file it still cannot open for want of a
    /// descriptor waits its turn instead of taking the checkpoint file's place.
    @Test func moreFilesThanTheDescriptorLimit() throws {
        let scratch = try Scratch("emfile")
        defer { scratch.remove() }
        for file in 0..<80 { scratch.append("logs/" + String(format: "f%02d.log", file), "INFO file \(file)\n") }
        let weft = try WeftProcess(
            [
                "tail", "logs/*.log", "--state-dir", "state", "--output", "out.jsonl", "--flush-timeout", "20ms",
                "--checkpoint-interval", "50ms", "--stats-interval", "50ms",
            ], in: scratch, openFileLimit: 64)
        defer { if weft.process.isRunning { weft.kill9() } }
        try Self.waitFor("a checkpoint write or failure", timeout: 20) {
            let statistics = Self.lastStatistics(scratch.read("stderr.txt"))
            return (Int(statistics["checkpoint_writes"] ?? "") ?? 0)
                + (Int(statistics["checkpoint_failures"] ?? "") ?? 0)
                > 0
        }
        let status = try weft.terminate()
        #expect(Self.lastStatistics(scratch.read("stderr.txt"))["checkpoint_failures"] == "0")
        #expect(status == 0)
        let output = RecordsFile(path: scratch.path("out.jsonl"))
        try output.poll()
        #expect(Set(output.bodies).count == 80, "every file is read, beyond the soft limit too")
    }
}

extension TailProcessTests {
    // MARK: - The process

    /// One `weft` process, started in `scratch`'s directory, its stderr appended to stderr.txt there.
    struct WeftProcess {
        let process = Process()
        let arguments: [String]

        /// - Parameter openFileLimit: a soft `ulimit -n` for weft (through `/bin/sh`).
        init(
            _ arguments: [String], in scratch: Scratch, stdout: Pipe? = nil, openFileLimit: Int? = nil,
            asNobody: Bool = false
        ) throws {
            self.arguments = arguments
            if asNobody {
                // setpriv (util-linux): the same binary as an unprivileged user, for whom a mode-000 file is unreadable.
                process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
                process.arguments =
                    ["--reuid=65534", "--regid=65534", "--clear-groups", TailProcessTests.binary.path] + arguments
            } else if let openFileLimit {
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments =
                    ["-c", "ulimit -Sn \(openFileLimit) && exec \"$0\" \"$@\"", TailProcessTests.binary.path]
                    + arguments
            } else {
                process.executableURL = TailProcessTests.binary
                process.arguments = arguments
            }
            process.currentDirectoryURL = scratch.url
            let errorFD = open(scratch.path("stderr.txt"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard errorFD >= 0 else { throw Failure("cannot open stderr.txt") }
            let errorHandle = FileHandle(fileDescriptor: errorFD, closeOnDealloc: true)
            process.standardError = errorHandle
            process.standardOutput = stdout ?? FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try? errorHandle.close()
        }

        var pid: Int32 { process.processIdentifier }

        func kill9() {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }

        /// SIGTERM, then its exit status; a process still running after `timeout` seconds is killed and fails the test.
        func terminate(timeout: Double = 20) throws -> Int32 {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(2_000) }
            if process.isRunning {
                kill(pid, SIGKILL)
                process.waitUntilExit()
                throw Failure("weft \(arguments) did not exit within \(timeout) s of SIGTERM")
            }
            process.waitUntilExit()
            guard process.terminationReason == .exit else {
                throw Failure("weft died of signal \(process.terminationStatus)")
            }
            return process.terminationStatus
        }

        /// A `/proc/<pid>/status` field in bytes (VmRSS, VmHWM), 0 if unavailable.
        func status(_ field: String) -> Int {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
            for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
                let number =
                    line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
                    .flatMap { Int($0) } ?? 0
                return number << 10
            }
            return 0
        }

        /// Bytes the process has read through read(2)/pread(2) (`rchar` in `/proc/<pid>/io`).
        var bytesRead: Int {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return -1 }
            for line in text.split(separator: "\n") where line.hasPrefix("rchar:") {
                return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? -1
            }
            return -1
        }

        /// Whether the process sleeps in a write to a pipe (its kernel wait channel).
        /// Whether weft sleeps waiting to write to `pipe`: asleep in write(2) or poll(2) (weft waits for room in
        /// poll, beside its signals) while the pipe is full.
        func isBlockedWriting(to pipe: Pipe) -> Bool {
            let channel = (try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)) ?? ""
            guard channel.contains("pipe_write") || channel.contains("poll") else { return false }
            var queued: Int32 = 0
            let capacity = fcntl(pipe.fileHandleForReading.fileDescriptor, 1032)  // F_GETPIPE_SZ
            guard ioctl(pipe.fileHandleForReading.fileDescriptor, 0x541B, &queued) == 0, capacity > 0 else {
                return false
            }
            return Int(capacity) - Int(queued) < 4096  // FIONREAD: less than a page of room left
        }
    }

    /// Reads a descriptor to its end on a thread of its own, counting newlines as they come.
    final class Drain: @unchecked Sendable {
        let fd: Int32
        private let lock = NSLock()
        private var data = Data()
        private var count = 0
        private let done = DispatchSemaphore(value: 0)

        init(fd: Int32) { self.fd = fd }

        func start() {
            Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let read = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if read < 0 && errno == EINTR { continue }
                    if read <= 0 { break }
                    let lines = buffer.withUnsafeBytes {
                        TailProcessTests.countNewlines(UnsafeRawBufferPointer(rebasing: $0[..<read]))
                    }
                    lock.withLock {
                        data.append(contentsOf: buffer[..<read])
                        count += lines
                    }
                }
                done.signal()
            }.start()
        }

        var newlines: Int { lock.withLock { count } }

        /// The newlines among the first `bytes` bytes read.
        func newlines(inFirst bytes: Int) -> Int {
            lock.withLock {
                data.prefix(bytes).withUnsafeBytes { TailProcessTests.countNewlines($0) }
            }
        }

        func wait() { done.wait() }

        /// The number after `"body":"L` in each line.
        func leadingNumbers() -> [Int] {
            let marker = Array("\"body\":\"L".utf8)
            return lock.withLock {
                data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> [Int] in
                    var numbers: [Int] = []
                    var start = 0
                    while start < bytes.count {
                        var end = start
                        if let newline = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) {
                            end = UnsafeRawPointer(newline) - bytes.baseAddress!
                        } else {
                            end = bytes.count
                        }
                        var index = start
                        let limit = min(end, start + 200) - marker.count
                        while index <= limit {
                            if bytes[index] == marker[0]
                                && (1..<marker.count).allSatisfy({ bytes[index + $0] == marker[$0] })
                            {
                                break
                            }
                            index += 1
                        }
                        if index <= limit {
                            index += marker.count
                            var number = 0
                            while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                                number = number * 10 + Int(bytes[index] - 0x30)
                                index += 1
                            }
                            numbers.append(number)
                        }
                        start = end + 1
                    }
                    return numbers
                }
            }
        }
    }

    fileprivate static func countNewlines(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var count = 0
        var position = 0
        while position < bytes.count, let found = memchr(base + position, 0x0A, bytes.count - position) {
            count += 1
            position = UnsafeRawPointer(found) - base + 1
        }
        return count
    }

    // MARK: - Files

    /// A temporary directory with logs/ in it.
    struct Scratch {
        let url: URL

        init(_ name: String) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent(
                "weft-tail-\(name)-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(
                at: url.appendingPathComponent("logs"), withIntermediateDirectories: true)
        }

        func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }

        func remove() { try? FileManager.default.removeItem(at: url) }

        func read(_ relative: String) -> String {
            (try? String(contentsOfFile: path(relative), encoding: .utf8)) ?? ""
        }

        func append(_ relative: String, _ text: String) {
            let fd = open(path(relative), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            precondition(fd >= 0, "cannot open \(relative)")
            Array(text.utf8).withUnsafeBytes { try? TailProcessTests.writeAll(fd, $0) }
            close(fd)
        }

        func size(_ relative: String) -> Int {
            var info = stat()
            return stat(path(relative), &info) == 0 ? Int(info.st_size) : -1
        }
    }

    /// Writes numbered lines (`INFO seq=<n> gen=<generation> …`) to one log path, and rotates it.
    struct LogWriter {
        let path: String
        private(set) var fd: Int32 = -1
        private(set) var generation = 0
        private(set) var sequence = 0
        private(set) var linesInGeneration = 0
        /// The file being written was renamed or deleted (the writer still appends to it).
        private(set) var isRenamed = false
        /// Each line's generation (the file it went to), by sequence number.
        private(set) var generationOf: [Int] = []

        init(path: String) throws {
            self.path = path
            try openNew()
        }

        /// - Parameter mode: the new file's permissions (0 makes a file other users cannot open, yet this
        ///   descriptor writes to it: permissions are checked when a file is opened, not when it is created).
        private mutating func openNew(mode: mode_t = 0o644) throws {
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, mode)
            guard fd >= 0 else { throw Failure("cannot create \(path): \(String(cString: strerror(errno)))") }
            linesInGeneration = 0
            isRenamed = false
        }

        var inode: UInt64 {
            var info = stat()
            return fstat(fd, &info) == 0 ? UInt64(info.st_ino) : 0
        }

        /// Whether one of `checkpoints` is for the file being written: its device, inode and fingerprint (read
        /// through /proc/self/fd, whatever the file's name now).
        func isSaved(in checkpoints: [Checkpoint]) -> Bool {
            let reader = open("/proc/self/fd/\(fd)", O_RDONLY | O_CLOEXEC)
            guard reader >= 0 else { return false }
            defer { Glibc.close(reader) }
            var info = stat()
            guard fstat(reader, &info) == 0 else { return false }
            return checkpoints.contains {
                $0.identity.matches(fd: reader, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            }
        }

        mutating func write(lines count: Int) throws {
            var text = ""
            for _ in 0..<count {
                text += "INFO seq=\(sequence) gen=\(generation) the quick brown fox jumps over the lazy dog\n"
                generationOf.append(generation)
                sequence += 1
            }
            linesInGeneration += count
            try Array(text.utf8).withUnsafeBytes { try TailProcessTests.writeAll(fd, $0) }
        }

        /// Rename-and-recreate: app.log → app.log.<generation>, a new app.log with permissions `mode`.
        mutating func rotateByRename(mode: mode_t = 0o644) throws {
            try renameKeepingOpen()
            try recreate(mode: mode)
        }

        /// Renames the file out of the glob; the writer keeps appending to it until ``recreate()``.
        mutating func renameKeepingOpen() throws {
            guard rename(path, path + ".\(generation)") == 0 else { throw Failure("rename: \(errno)") }
            isRenamed = true
        }

        /// Deletes the file; the writer keeps appending to it until ``recreate()``.
        mutating func unlinkKeepingOpen() throws {
            guard unlink(path) == 0 else { throw Failure("unlink: \(errno)") }
            isRenamed = true
        }

        /// Closes the old file and starts a new generation under the path.
        mutating func recreate(mode: mode_t = 0o644) throws {
            Glibc.close(fd)
            generation += 1
            try openNew(mode: mode)
        }

        mutating func close() {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    /// The records weft appended to an output file, read incrementally.
    final class RecordsFile {
        struct Record {
            var body: String
            var attributes: [String: Any]
        }

        struct Line {
            var sequence: Int
            var generation: Int
        }

        let path: String
        private var offset: UInt64 = 0
        private var partial = Data()
        private(set) var records: [Record] = []
        /// Numbered lines (`seq=` and `gen=` in a body), in output order.
        private(set) var lines: [Line] = []
        private(set) var sequences = Set<Int>()
        private(set) var generations = Set<Int>()
        /// Output lines that were not one JSON object: the end of a write cut by `kill -9`, with the next run's first
        /// record glued to it (that record is still read).
        private(set) var tornLines = 0

        init(path: String) { self.path = path }

        var bodies: [String] { records.map(\.body) }
        var distinctCount: Int { sequences.count }

        /// Reads what was appended since the last call.
        func poll() throws {
            guard let handle = FileHandle(forReadingAtPath: path) else { return }
            defer { try? handle.close() }
            try handle.seek(toOffset: offset)
            let data = try handle.readToEnd() ?? Data()
            offset += UInt64(data.count)
            partial.append(data)
            guard let lastNewline = partial.lastIndex(of: 0x0A) else { return }
            let complete = partial[partial.startIndex...lastNewline]
            partial = Data(partial[(lastNewline + 1)...])
            for line in complete.split(separator: 0x0A) { parse(Data(line)) }
        }

        private func parse(_ line: Data) {
            if let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] {
                add(object)
                return
            }
            tornLines += 1
            let start = Data("{\"observed_timestamp\"".utf8)
            if let range = line.lastRange(of: start), range.lowerBound > line.startIndex,
                let object = try? JSONSerialization.jsonObject(with: line[range.lowerBound...]) as? [String: Any]
            {
                add(object)
            }
        }

        private func add(_ object: [String: Any]) {
            let record = Record(
                body: object["body"] as? String ?? "", attributes: object["attributes"] as? [String: Any] ?? [:])
            records.append(record)
            for text in record.body.split(separator: "\n") {
                var sequence: Int?
                var generation: Int?
                for word in text.split(separator: " ").prefix(3) {
                    if word.hasPrefix("seq=") { sequence = Int(word.dropFirst(4)) }
                    if word.hasPrefix("gen=") { generation = Int(word.dropFirst(4)) }
                }
                if let sequence, let generation {
                    lines.append(Line(sequence: sequence, generation: generation))
                    sequences.insert(sequence)
                    generations.insert(generation)
                }
            }
        }
    }

    // MARK: - Helpers

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Polls `condition` until it holds; throws (failing the test) after `timeout` seconds.
    static func waitFor(_ what: @autoclosure () -> String, timeout: Double, _ condition: () throws -> Bool) throws {
        let timeout = timeout * patience  // a sanitized weft is slower; what it must reach stays the same
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { throw Failure("timed out after \(timeout) s waiting for \(what())") }
            usleep(5_000)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure("write: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
    }

    /// The checkpoints saved in `path`: offset by inode.
    static func checkpointOffsets(_ path: String) -> [UInt64: Int64] {
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let files = object["files"] as? [[String: Any]]
        else { return [:] }
        var offsets: [UInt64: Int64] = [:]
        for file in files {
            if let inode = (file["inode"] as? NSNumber)?.uint64Value,
                let offset = (file["offset"] as? NSNumber)?.int64Value
            {
                offsets[inode] = offset
            }
        }
        return offsets
    }

    /// `numbers` (sorted) as runs with the files (generations) they were written to: `5970...7344 (gen 4)`.
    static func ranges(_ numbers: [Int], generationOf: [Int]) -> String {
        var runs: [String] = []
        var start = 0
        for index in numbers.indices where index == numbers.count - 1 || numbers[index + 1] != numbers[index] + 1 {
            let (first, last) = (numbers[start], numbers[index])
            let files = Set(generationOf[first...last]).sorted().map(String.init).joined(separator: ",")
            runs.append("\(first)...\(last) (gen \(files))")
            start = index + 1
        }
        return runs.joined(separator: " ")
    }

    /// The checkpoints saved in the state directory `directory`, with their fingerprints (not through
    /// `CheckpointStore.load()`, which moves a file it cannot read aside).
    static func savedCheckpoints(_ directory: String) -> [Checkpoint] {
        struct Contents: Decodable { var files: [Checkpoint] }
        guard let data = FileManager.default.contents(atPath: directory + "/checkpoints.json") else { return [] }
        return (try? JSONDecoder().decode(Contents.self, from: data))?.files ?? []
    }

    static func checkpointedInodes(_ path: String) -> Set<UInt64> { Set(TailProcessTests.checkpointOffsets(path).keys) }

    /// The fields of the last `weft stats` line in `log`.
    static func lastStatistics(_ log: String) -> [String: String] {
        guard let line = log.split(separator: "\n").last(where: { $0.hasPrefix("weft stats ") }) else { return [:] }
        var fields: [String: String] = [:]
        for field in line.dropFirst("weft stats ".count).split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }

    /// Raises this process's soft limit on open files (inherited by weft) so that a thousand files fit.
    static func raiseOpenFileLimit(to wanted: rlim_t) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// A seeded generator, so that the rounds' lengths repeat run to run.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
