import Foundation
import Logging
import Testing
import WeftCollector
import WeftCore
import WeftIO
import WeftMultiline
import WeftPipeline
import WeftTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The collector driven round by round with a manual clock, on real files in a temporary directory.
@Suite struct CollectorTests {
    /// A temporary directory with logs/ and state/, removed when the test ends.
    final class Workspace {
        let root: String
        var logs: String { root + "/logs" }
        var state: String { root + "/state" }

        init() throws {
            root =
                FileManager.default.temporaryDirectory.appendingPathComponent("weft-collector-\(UUID().uuidString)")
                .path
            try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        /// Appends `text` to logs/`name` (created if missing).
        func append(_ name: String, _ text: String) {
            let fd = open(logs + "/" + name, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            precondition(fd >= 0)
            Array(text.utf8).withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }

        func rename(_ from: String, _ to: String) {
            precondition(Glibc.rename(logs + "/" + from, logs + "/" + to) == 0)
        }
    }

    struct Run {
        var collector: Collector<CollectingSink>
        var clock = ManualClock()
        init(
            _ workspace: Workspace, glob: String = "*.log",
            configure: (inout CollectorConfiguration) -> Void = { _ in },
            flushTimeout: Int64 = 100_000_000
        ) throws {
            var configuration = CollectorConfiguration(
                globs: [workspace.logs + "/" + glob], stateDirectory: workspace.state)
            configuration.rotateWait = 500_000_000
            configuration.globInterval = 100_000_000
            configure(&configuration)
            var pipelineConfiguration = PipelineConfiguration()
            pipelineConfiguration.multiline.flushTimeout = flushTimeout
            let acknowledgements = Acknowledgements()
            collector = try Collector(
                configuration: configuration,
                pipeline: Pipeline(parsers: try .make(), configuration: pipelineConfiguration),
                output: CollectingSink(acknowledgements: acknowledgements), acknowledgements: acknowledgements,
                useInotify: false, logger: CapturingLogHandler.silent)
        }

        /// Rounds until nothing is read; then, twice, `milliseconds` more of time and rounds until nothing is read
        /// (the first lets timers fire and scans happen, the second lets what they brought leave).
        mutating func settle(advancing milliseconds: Int64 = 0) throws {
            while try collector.step(now: clock.now) {}
            guard milliseconds > 0 else { return }
            for _ in 0..<2 {
                clock.advance(byMilliseconds: milliseconds)
                while try collector.step(now: clock.now) {}
            }
        }

        var bodies: [String] { collector.output.records.map(\.body) }
    }

    @Test func followsAppendsAndCheckpointsWhatWasWritten() throws {
        let workspace = try Workspace()
        workspace.append("app.log", "one\ntwo\n")
        var run = try Run(workspace)
        try run.settle(advancing: 200)
        #expect(run.bodies == ["one", "two"])
        workspace.append("app.log", "three\nfour\n")
        try run.settle(advancing: 200)
        #expect(run.bodies == ["one", "two", "three", "four"])
        try run.settle(advancing: 2000)  // the checkpoint interval passed
        let saved = try #require(CheckpointStore(directory: workspace.state).loadedCheckpoints())
        #expect(saved.map(\.offset) == [19])
        #expect(saved.first?.path == workspace.logs + "/app.log")
        #expect(run.collector.output.records.last?.range == ByteRange(start: 14, end: 19))
    }

    @Test func aPendingTraceHoldsTheCheckpointAtItsFirstLine() throws {
        let workspace = try Workspace()
        workspace.append("app.log", "ready\nTraceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n")
        var run = try Run(workspace, flushTimeout: 3_600_000_000_000)
        try run.settle(advancing: 2000)
        #expect(run.bodies == ["ready"])
        #expect(CheckpointStore(directory: workspace.state).loadedCheckpoints()?.first?.offset == 6)
        try run.collector.shutdown(now: run.clock.now)
        #expect(run.collector.output.records.last?.flushReason == .shutdown)
        #expect(run.collector.output.records.last?.lineCount == 2)
        let size = Int64(try FileManager.default.attributesOfItem(atPath: workspace.logs + "/app.log")[.size] as! Int)
        #expect(CheckpointStore(directory: workspace.state).loadedCheckpoints()?.first?.offset == size)
    }

    @Test func renameAndRecreateWhileTheWriterGoesOn() throws {
        let workspace = try Workspace()
        var run = try Run(workspace)
        var written: [String] = []
        func write(_ name: String, _ count: Int) {
            for _ in 0..<count {
                let line = "line \(written.count)"
                written.append(line)
                workspace.append(name, line + "\n")
            }
        }
        write("app.log", 50)
        try run.settle()
        write("app.log", 10)  // not read yet when the file is renamed
        workspace.rename("app.log", "app.log.1")  // Docker's -json.log.1; the glob no longer matches it
        write("app.log.1", 5)  // the writer still had it open
        write("app.log", 20)  // the new file
        try run.settle(advancing: 1000)  // past the rotate wait: the old file is let go
        // Nothing lost, nothing twice; in order within each file (the old file's last record leaves when it is let
        // go, after the new file's first ones).
        let number = { (body: String) in Int(body.dropFirst("line ".count))! }
        #expect(run.bodies.sorted { number($0) < number($1) } == written)
        let records = run.collector.output.records
        for source in Set(records.map(\.source)) {
            let numbers = records.filter { $0.source == source }.map { number($0.body) }
            #expect(numbers == numbers.sorted())
        }
        #expect(Set(records.map(\.source)).count == 2)
        #expect(run.collector.statistics.rotationsRenamed == 1)
        #expect(run.collector.statistics.filesReleased == 1)
        #expect(run.collector.openPaths == [workspace.logs + "/app.log"])
    }

    /// A trace whose first lines are in the file that was rotated and whose rest is in the new one: every line comes
    /// out, in two records (the old file's part leaves at its flush timeout or when that file is let go). Merging
    /// them would make one record span two files' checkpoints; see the README.
    @Test func aTraceCutByARotationLosesNoLine() throws {
        let workspace = try Workspace()
        var run = try Run(workspace)
        workspace.append("app.log", "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n")
        try run.settle()
        workspace.rename("app.log", "app.log.1")
        workspace.append("app.log", "    main()\nValueError: x\n")
        try run.settle(advancing: 1000)
        let lines = run.bodies.flatMap { $0.split(separator: "\n").map(String.init) }
        #expect(
            lines.sorted()
                == [
                    "Traceback (most recent call last):", "  File \"a.py\", line 1, in <module>", "    main()",
                    "ValueError: x",
                ].sorted())
        let head = run.collector.output.records.first { $0.body.hasPrefix("Traceback") }
        #expect(head?.parser == "python")
        #expect(head?.lineCount == 2)
        // The old file's part leaves at its stream's flush timeout (or when the file is let go, if sooner).
        #expect(head?.flushReason == .timeout || head?.flushReason == .endOfInput)
    }

    @Test func replaceByRenameAsCRIODoes() throws {
        let workspace = try Workspace()
        workspace.append("app.log", "old 1\nold 2\n")
        var run = try Run(workspace)
        try run.settle()
        workspace.append("app.log", "old 3\n")
        workspace.append("app.log.tmp", "new 1\n")
        workspace.rename("app.log.tmp", "app.log")  // atomically replaces the followed file
        try run.settle(advancing: 200)
        try run.settle(advancing: 1000)
        #expect(run.bodies == ["old 1", "old 2", "old 3", "new 1"])
        #expect(run.collector.statistics.rotationsDeleted == 1, "the replaced file has no name left")
    }

    @Test func copytruncateStartsAgainAtZero() throws {
        let workspace = try Workspace()
        workspace.append("app.log", "before 1\nbefore 2\n")
        var run = try Run(workspace)
        try run.settle(advancing: 200)
        precondition(truncate(workspace.logs + "/app.log", 0) == 0)
        workspace.append("app.log", "after\n")
        try run.settle(advancing: 200)
        #expect(run.bodies == ["before 1", "before 2", "after"])
        #expect(run.collector.statistics.rotationsTruncated == 1)
        try run.settle(advancing: 2000)
        #expect(CheckpointStore(directory: workspace.state).loadedCheckpoints()?.first?.offset == 6)
    }

    @Test func aFileDeletedWhileOpenIsReadToItsEnd() throws {
        let workspace = try Workspace()
        workspace.append("app.log", "first\n")
        var run = try Run(workspace)
        try run.settle()
        let fd = open(workspace.logs + "/app.log", O_WRONLY | O_APPEND)
        unlink(workspace.logs + "/app.log")
        Array("written after the unlink\n".utf8).withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
        close(fd)
        try run.settle(advancing: 200)
        try run.settle(advancing: 1000)
        #expect(run.bodies == ["first", "written after the unlink"])
        #expect(run.collector.statistics.rotationsDeleted == 1)
        #expect(run.collector.openPaths.isEmpty)
    }

    @Test func aRestartResumesAtTheCheckpointAndRepeatsOnlyWhatWasInFlight() throws {
        let workspace = try Workspace()
        workspace.append("app.log", "a\nb\nc\n")
        var first = try Run(workspace)
        try first.settle(advancing: 2000)
        #expect(first.bodies == ["a", "b", "c"])
        // Killed here: no shutdown. Lines written while it was down:
        workspace.append("app.log", "d\ne\n")
        var second = try Run(workspace)
        try second.settle(advancing: 200)
        #expect(second.bodies == ["d", "e"])
    }

    @Test func aFileRotatedAwayWhileStoppedIsFoundByInode() throws {
        let workspace = try Workspace()
        workspace.append("app.log", "a\nb\n")
        var first = try Run(workspace)
        try first.settle(advancing: 2000)
        // While weft is down the file gets more lines and is rotated to a name no glob matches.
        workspace.append("app.log", "c\n")
        workspace.rename("app.log", "app.log.1")
        workspace.append("app.log", "d\n")
        var second = try Run(workspace)
        try second.settle(advancing: 200)
        try second.settle(advancing: 1000)
        #expect(second.bodies.sorted() == ["c", "d"])
    }

    @Test func damagedCheckpointsAreReportedAndSetAside() throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.state, withIntermediateDirectories: true)
        try "{not json".write(toFile: workspace.state + "/checkpoints.json", atomically: true, encoding: .utf8)
        workspace.append("app.log", "x\n")
        let messages = CapturingLogHandler.Store()
        let acknowledgements = Acknowledgements()
        var collector = try Collector(
            configuration: CollectorConfiguration(globs: [workspace.logs + "/*.log"], stateDirectory: workspace.state),
            pipeline: Pipeline(parsers: try .make()), output: CollectingSink(acknowledgements: acknowledgements),
            acknowledgements: acknowledgements, useInotify: false, logger: CapturingLogHandler.logger(messages))
        try collector.step(now: 0)
        try collector.shutdown(now: 1)
        let damaged = try #require(messages.all.first)
        #expect(damaged.level == .error)
        #expect(damaged.message == "checkpoints damaged; files are read as on a first start")
        #expect(damaged.metadata["path"] == "\(workspace.state)/checkpoints.json")
        #expect(damaged.metadata["moved_to"]?.description.contains("damaged") == true)
        let aside = try FileManager.default.contentsOfDirectory(atPath: workspace.state).filter {
            $0.contains("damaged")
        }
        #expect(aside.count == 1)
        #expect(collector.output.records.map(\.body) == ["x"])
    }

    @Test func boundsReachedAreToldToTheOperatorOnce() throws {
        let workspace = try Workspace()
        workspace.append("app.log", String(repeating: "x", count: 200) + "\nshort\n")
        let messages = CapturingLogHandler.Store()
        let acknowledgements = Acknowledgements()
        var configuration = PipelineConfiguration()
        configuration.maxLineBytes = 64
        var collector = try Collector(
            configuration: CollectorConfiguration(globs: [workspace.logs + "/*.log"], stateDirectory: workspace.state),
            pipeline: Pipeline(parsers: try .make(), configuration: configuration),
            output: CollectingSink(acknowledgements: acknowledgements), acknowledgements: acknowledgements,
            useInotify: false, logger: CapturingLogHandler.logger(messages))
        while try collector.step(now: 0) {}
        collector.noteBoundsReached()
        collector.noteBoundsReached()  // nothing new: nothing more said
        let told = messages.all.filter { $0.message == "a bound was reached" }
        #expect(told.count == 1)
        #expect(told.first?.level == .warning)
        #expect(told.first?.metadata["bound"] == "max_line_bytes (lines cut)")
        #expect(told.first?.metadata["lines"] == "1")
    }

    @Test func openFilesAreCappedAndTheRestWaitTheirTurn() throws {
        let workspace = try Workspace()
        for index in 0..<6 { workspace.append("f\(index).log", "line of \(index)\n") }
        var run = try Run(workspace) { $0.maxOpenFiles = 4 }
        try run.settle(advancing: 200)
        #expect(run.collector.openPaths.count == 4)
        #expect(run.collector.statistics.filesWaiting == 2)
        #expect(run.bodies.count == 4)
        // Two followed files go away; their places go to the waiting ones.
        for path in run.collector.openPaths.prefix(2) { unlink(path) }
        try run.settle(advancing: 1000)
        try run.settle(advancing: 1000)
        #expect(Set(run.bodies).count == 6)
    }

    @Test func aThousandFilesAtOnce() throws {
        let workspace = try Workspace()
        for index in 0..<1000 {
            workspace.append(
                "f\(index).log",
                "start \(index)\njava.lang.IllegalStateException: boom \(index)\n\tat App.main(App.java:5)\n")
        }
        var run = try Run(workspace)
        try run.settle(advancing: 200)
        #expect(run.collector.openPaths.count == 1000)
        #expect(run.collector.output.records.count == 2000)
        #expect(run.collector.output.records.filter { $0.parser == "java" }.count == 1000)
        try run.settle(advancing: 2000)
        #expect(CheckpointStore(directory: workspace.state).loadedCheckpoints()?.count == 1000)
    }

    /// Files let go once read to their end (more files than `maxOpenFiles`) are not opened and read again at every
    /// scan while their change time says they are as they were (every scan used to open each one and compare its
    /// first bytes: 2,900 opens a second and a tenth of a core with 10,000 idle files). One that grows is still read
    /// again where it was left.
    @Test(.enabled(if: LetGoFileTests.birthTimesAreKept)) func idleLetGoFilesAreNotReadAgainAtEachScan() throws {
        let workspace = try Workspace()
        for index in 0..<50 { workspace.append("f\(index).log", "INFO file \(index)\n") }
        var run = try Run(workspace) {
            $0.maxOpenFiles = 5
            $0.rotateWait = 100_000_000
        }
        for _ in 0..<40 { try run.settle(advancing: 200) }  // five at a time, each let go once read and quiet
        #expect(Set(run.bodies).count == 50)
        #expect(run.collector.statistics.filesReleased >= 45)
        let reader = ThreadReads()
        for _ in 0..<10 { try run.settle(advancing: 200) }  // 20 glob scans over 45 let-go files
        #expect(reader.bytesSinceLast() == 0, "let-go files were read again")
        workspace.append("f0.log", "INFO file 0 again\n")
        for _ in 0..<4 { try run.settle(advancing: 200) }
        #expect(run.bodies.last == "INFO file 0 again")
    }

    /// Bytes this thread read through read(2) and pread(2) (`rchar` of /proc/thread-self/io), less its own reads of
    /// that file: the collector runs on the test's thread, so its reads alone count.
    final class ThreadReads {
        private var last = 0

        init() { _ = bytesSinceLast() }

        func bytesSinceLast() -> Int {
            let fd = open("/proc/thread-self/io", O_RDONLY | O_CLOEXEC)
            precondition(fd >= 0)
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 1024)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            precondition(count > 0)
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            let line = text.split(separator: "\n").first { $0.hasPrefix("rchar:") } ?? ""
            let rchar = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
            // The counter as read excludes this read; the next one includes it.
            defer { last = rchar + count }
            return rchar - last
        }
    }

    @Test func ignoreOlderSkipsFilesLastChangedLongAgo() throws {
        let workspace = try Workspace()
        workspace.append("stale.log", "from last year\n")
        workspace.append("fresh.log", "from today\n")
        var times = [timeval(tv_sec: 1_700_000_000, tv_usec: 0), timeval(tv_sec: 1_700_000_000, tv_usec: 0)]
        #expect(utimes(workspace.logs + "/stale.log", &times) == 0)
        var run = try Run(workspace) { $0.ignoreOlder = 24 * 3_600_000_000_000 }
        run.clock = ManualClock(start: SystemClock().now())
        try run.settle(advancing: 200)
        #expect(run.bodies == ["from today"])
        #expect(run.collector.openPaths == [workspace.logs + "/fresh.log"])
    }

    @Test func readFromEndSkipsWhatWasThereAtTheFirstStartOnly() throws {
        let workspace = try Workspace()
        workspace.append("old.log", "history\n")
        var run = try Run(workspace) { $0.readFrom = .end }
        try run.settle(advancing: 200)
        workspace.append("old.log", "live\n")
        workspace.append("new.log", "from a new file\n")
        try run.settle(advancing: 200)
        try run.settle(advancing: 200)
        #expect(run.bodies.sorted() == ["from a new file", "live"])
        try run.collector.shutdown(now: run.clock.now)
        // A second start is no first start: a file it has not seen is read from its beginning.
        workspace.append("later.log", "written while stopped\n")
        var again = try Run(workspace) { $0.readFrom = .end }
        try again.settle(advancing: 200)
        #expect(again.bodies == ["written while stopped"])
    }
}

extension CheckpointStore {
    /// The saved checkpoints, or nil if there are none or they are damaged.
    func loadedCheckpoints() -> [Checkpoint]? {
        if case .checkpoints(let list) = load() { return list.sorted { $0.path < $1.path } }
        return nil
    }
}
