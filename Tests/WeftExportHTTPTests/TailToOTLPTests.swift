import Foundation
import NIOCore
import NIOHTTP1
import Testing
import WeftTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `weft tail --otlp-endpoint` as a process, against the loopback receiver decoding with the official OTLP
/// definitions: what arrives is what the JSON lines say, a backend that is down loses nothing, a kill -9 while it is
/// down resends on restart, a refused batch lands in the dead-letter directory.
@Suite(.serialized) struct TailToOTLPTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("weft").path

    /// A temporary directory holding logs/ (one sample file) and state/.
    final class Scratch {
        let root: String
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("weft-otlp-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    static let sample = repositoryRoot + "/Samples/java/rendered/traces.docker.log"

    /// Starts `weft tail` on scratch/logs/*.log towards `url`.
    static func tail(_ scratch: Scratch, url: String, extra: [String] = [], stderr: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.root)
        process.arguments =
            [
                "tail", "logs/*.log", "--state-dir", "state", "--otlp-endpoint", url, "--batch-max-records", "7",
                "--batch-timeout", "20ms", "--flush-timeout", "50ms", "--checkpoint-interval", "50ms",
            ] + extra
        process.standardOutput = FileHandle.nullDevice
        if let stderr { _ = FileManager.default.createFile(atPath: stderr, contents: nil) }
        process.standardError = FileHandle(forWritingAtPath: stderr ?? "/dev/null")
        try process.run()
        return process
    }

    /// The records of the requests the receiver accepted, in arrival order.
    static func receivedRecords(_ receiver: Receiver) -> [[String: Any]] {
        receiver.requests.filter { ($0["answer"] as? String) == "200" }.flatMap {
            ($0["records"] as? [[String: Any]]) ?? []
        }
    }

    /// Waits (bounded: fails the test) until `condition` holds.
    static func waitFor(_ what: String, timeout: Double = 30, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline { throw TimeoutError(what: what) }
            usleep(20_000)
        }
    }

    struct TimeoutError: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(what)" }
    }

    static func stop(_ process: Process) -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func everyRecordArrivesAsTheJSONLinesSayIt() throws {
        let scratch = try Scratch()
        let path = scratch.root + "/logs/app.log"
        try FileManager.default.copyItem(atPath: Self.sample, toPath: path)
        let written = try Self.expectedRecords(path: "logs/app.log", in: scratch)
        let receiver = try Receiver(script: "200", decode: true)
        let weft = try Self.tail(scratch, url: "http://127.0.0.1:\(receiver.port)")
        try Self.waitFor("\(written.count) records") { Self.receivedRecords(receiver).count >= written.count }
        #expect(Self.stop(weft) == 0)
        // Records of one stream leave in order; stdout and stderr records may interleave differently from the
        // filter's run (the flush timeout fires at other moments), so both sides are put in (stream, body) order.
        let key = { (record: [String: Any]) -> String in
            let attributes = record["attributes"] as? [String: Any] ?? [:]
            return "\(attributes["log.iostream"] as? String ?? "")\u{0}\(record["body"] as? String ?? "")"
        }
        let received = Self.receivedRecords(receiver).sorted { key($0) < key($1) }
        let expected = written.sorted { key($0) < key($1) }
        #expect(received.count == expected.count)
        for (got, want) in zip(received, expected) {
            #expect(got["body"] as? String == want["body"] as? String)
            let gotAttributes = got["attributes"] as? [String: Any] ?? [:]
            let wantAttributes = want["attributes"] as? [String: Any] ?? [:]
            #expect(gotAttributes["weft.parser"] as? String == wantAttributes["weft.parser"] as? String)
            #expect(gotAttributes["log.iostream"] as? String == wantAttributes["log.iostream"] as? String)
            #expect(gotAttributes["weft.lines"] as? Int == wantAttributes["weft.lines"] as? Int)
            #expect(gotAttributes["log.file.path"] as? String == "logs/app.log")
            #expect(got["scope"] as? String == "weft")
        }
        let request = try #require(receiver.requests.first)
        let headers = request["headers"] as? [String: String] ?? [:]
        #expect(request["path"] as? String == "/v1/logs")
        #expect(headers["content-type"] == "application/x-protobuf")
        #expect(headers["content-encoding"] == "gzip")
    }

    @Test func aBackendDownForAWhileLosesNothing() throws {
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: Self.sample, toPath: scratch.root + "/logs/app.log")
        let expected = try Self.expectedRecords(path: "logs/app.log", in: scratch)
        let receiver = try Receiver(script: "503,503,drop,503,429:0,200", decode: true)
        let weft = try Self.tail(scratch, url: "http://127.0.0.1:\(receiver.port)")
        try Self.waitFor("\(expected.count) records") { Self.receivedRecords(receiver).count >= expected.count }
        #expect(Self.stop(weft) == 0)
        let bodies = Self.receivedRecords(receiver).map { $0["body"] as? String ?? "" }
        #expect(bodies.sorted() == expected.map { $0["body"] as? String ?? "" }.sorted())
    }

    @Test func killedWhileTheBackendIsDownItResendsOnRestart() throws {
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: Self.sample, toPath: scratch.root + "/logs/app.log")
        let expected = try Self.expectedRecords(path: "logs/app.log", in: scratch)
        let down = try Receiver(script: "503", decode: false)
        let first = try Self.tail(scratch, url: "http://127.0.0.1:\(down.port)")
        try Self.waitFor("a first attempt") { down.requests.count >= 2 }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let up = try Receiver(script: "200", decode: true)
        let second = try Self.tail(scratch, url: "http://127.0.0.1:\(up.port)")
        try Self.waitFor("\(expected.count) records") { Self.receivedRecords(up).count >= expected.count }
        #expect(Self.stop(second) == 0)
        let bodies = Self.receivedRecords(up).map { $0["body"] as? String ?? "" }
        #expect(
            bodies.sorted() == expected.map { $0["body"] as? String ?? "" }.sorted(),
            "nothing was acknowledged before the kill")
    }

    @Test func aRefusedBatchLandsInTheDeadLetterDirectory() throws {
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: Self.sample, toPath: scratch.root + "/logs/app.log")
        let expected = try Self.expectedRecords(path: "logs/app.log", in: scratch)
        let receiver = try Receiver(script: "400,200", decode: true)
        let weft = try Self.tail(scratch, url: "http://127.0.0.1:\(receiver.port)")
        try Self.waitFor("the rest of the records") {
            Self.receivedRecords(receiver).count >= expected.count - 7
        }
        #expect(Self.stop(weft) == 0)
        let kept = try FileManager.default.contentsOfDirectory(atPath: scratch.root + "/state/dead-letter")
        #expect(kept.count == 1)
        #expect(kept.first?.hasSuffix("-http400.otlp.pb") == true)
        #expect(Self.receivedRecords(receiver).count == expected.count - 7, "the first batch of 7 was refused")
    }
}

extension TailToOTLPTests {
    static func expectedRecords(path: String, in scratch: Scratch) throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.root)
        process.arguments = [path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

extension TailToOTLPTests {
    /// The filter and replay send to the same endpoint and exit once it has every record.
    @Test(arguments: [["logs/app.log"], ["replay", "--no-summary", "logs/app.log"]])
    func theFilterAndReplaySendEveryRecord(arguments: [String]) throws {
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: Self.sample, toPath: scratch.root + "/logs/app.log")
        let expected = try Self.expectedRecords(path: "logs/app.log", in: scratch)
        let receiver = try Receiver(script: "503,200", decode: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.root)
        process.arguments = arguments + ["--otlp-endpoint", "http://127.0.0.1:\(receiver.port)"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let bodies = Self.receivedRecords(receiver).map { $0["body"] as? String ?? "" }
        #expect(bodies.sorted() == expected.map { $0["body"] as? String ?? "" }.sorted())
    }
}

/// `--metrics-address`: the probes and the counters of a running `weft tail`, and its memory while the backend stalls.
extension TailToOTLPTests {
    /// GET `url`: status and body (nil when nothing answers).
    static func get(_ url: String) -> (status: Int, body: String)? {
        LoopbackHTTP.request(url).map { ($0.status, $0.body) }
    }

    /// The base URL `weft tail` says it serves on, from its standard error.
    static func metricsBase(_ stderr: String) throws -> String {
        var base: String?
        try waitFor("the metrics address") {
            let text = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").first(where: { $0.contains("serving /metrics") }),
                let range = line.range(of: "address=")
            else { return false }
            base = line[range.upperBound...].split(separator: " ").first.map(String.init)
            return base != nil
        }
        return base!
    }

    static func metrics(_ base: String) -> [String: Double] {
        prometheusSamples(get(base + "/metrics")?.body ?? "")
    }

    @Test func probesAndMetricsFollowTheBackend() throws {
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: Self.sample, toPath: scratch.root + "/logs/app.log")
        let expected = try Self.expectedRecords(path: "logs/app.log", in: scratch)
        let lines = try String(contentsOfFile: Self.sample, encoding: .utf8).split(separator: "\n").count
        // Throttled three times, a second each (Retry-After: deterministic, unlike the jittered backoff).
        let receiver = try Receiver(script: "429:1,429:1,429:1,200", decode: true)
        let stderr = scratch.root + "/stderr.txt"
        let weft = try Self.tail(
            scratch, url: "http://127.0.0.1:\(receiver.port)",
            extra: ["--metrics-address", "127.0.0.1:0", "--unready-after", "1s"], stderr: stderr)
        let base = try Self.metricsBase(stderr)
        try Self.waitFor("/readyz to say the output is unreachable") {
            let ready = Self.get(base + "/readyz")
            return ready?.status == 503 && ready?.body.hasPrefix("output unreachable") == true
        }
        #expect(Self.get(base + "/healthz")?.status == 200, "waiting for the backend is being alive")
        try Self.waitFor("\(expected.count) records") { Self.receivedRecords(receiver).count >= expected.count }
        try Self.waitFor("/readyz to be ready again") { Self.get(base + "/readyz")?.body == "ready\n" }
        try Self.waitFor("the collector's counters") {
            Self.metrics(base)["weft_input_lines_total"] == Double(lines)
        }
        let samples = Self.metrics(base)
        #expect(samples["weft_otlp_records_sent_total"] == Double(expected.count))
        #expect(samples[#"weft_otlp_retries_total{cause="throttled"}"#] == 3)
        #expect(samples["weft_otlp_request_duration_seconds_count"] == Double(receiver.requests.count))
        #expect(samples["weft_files_open"] == 1)
        #expect(samples["weft_otlp_dead_lettered_records_total"] == 0)
        #expect(Self.stop(weft) == 0)
    }

    /// VmRSS and VmHWM of a process, in bytes.
    static func memory(of pid: Int32) -> (rss: Int, peak: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    @Test func memoryStaysFlatWhileTheBackendStalls() throws {
        let scratch = try Scratch()
        // 64 MiB of ordinary lines: far more than the sender's queue may hold.
        let path = scratch.root + "/logs/big.log"
        var chunk = ""
        for index in 0..<8192 {
            chunk += "2026-03-14T09:00:00.000Z INFO request \(index) served in 12 ms from the cache, all is well\n"
        }
        let data = Data(chunk.utf8)
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var size = 0
        while size < 64 << 20 {
            file.write(data)
            size += data.count
        }
        try file.close()
        let receiver = try Receiver(script: "stall:600")
        let stderr = scratch.root + "/stderr.txt"
        let weft = try Self.tail(
            scratch, url: "http://127.0.0.1:\(receiver.port)",
            extra: ["--metrics-address", "127.0.0.1:0", "--batch-max-records", "5000", "--otlp-timeout", "60s"],
            stderr: stderr)
        defer {
            kill(weft.processIdentifier, SIGKILL)
            weft.waitUntilExit()
        }
        let base = try Self.metricsBase(stderr)
        // Reading pauses once the queue is full: the bytes read stop growing, far short of the file.
        var read = -1.0
        try Self.waitFor("reading to pause") {
            let now = Self.metrics(base)["weft_input_bytes_total"] ?? 0
            defer { read = now }
            guard now > 0, now == read else {
                usleep(1_200_000)  // the counters are published once a second
                return false
            }
            return true
        }
        let before = Self.memory(of: weft.processIdentifier)
        usleep(3_000_000)
        let after = Self.memory(of: weft.processIdentifier)
        let samples = Self.metrics(base)
        #expect(samples["weft_input_bytes_total"] == read, "nothing more was read while the backend stalled")
        #expect(read < Double(size / 4), "read \(read) of \(size) bytes before pausing")
        #expect(samples["weft_otlp_queue_batches"] == 8)
        // The 3 s of waiting for room in the queue count as backpressure (the collector was paused in the flush),
        // and the resident memory on /metrics is the one the kernel reports.
        #expect((samples["weft_backpressure_seconds_total"] ?? 0) >= 2, "backpressure \(samples)")
        let published = samples["process_resident_memory_bytes"] ?? 0
        #expect(abs(published - Double(after.rss)) < Double(4 << 20), "published RSS \(published), VmRSS \(after.rss)")
        #expect(
            !memoryIsMeasurable || abs(after.rss - before.rss) < 2 << 20, "RSS moved from \(before.rss) to \(after.rss)"
        )
        #expect(!memoryIsMeasurable || after.peak < 64 << 20, "peak RSS \(after.peak) bytes")
        #expect(Self.get(base + "/healthz")?.status == 200)
    }

    @Test func httpsWithTheCAFileDeliversAndWithoutItRefusesTheCertificate() throws {
        let scratch = try Scratch()
        try FileManager.default.copyItem(atPath: Self.sample, toPath: scratch.root + "/logs/app.log")
        let expected = try Self.expectedRecords(path: "logs/app.log", in: scratch)
        let receiver = try Receiver(script: "200", decode: true, tls: true)
        let trusted = Process()
        trusted.executableURL = URL(fileURLWithPath: Self.binary)
        trusted.currentDirectoryURL = URL(fileURLWithPath: scratch.root)
        trusted.arguments = [
            "logs/app.log", "--otlp-endpoint", "https://127.0.0.1:\(receiver.port)", "--otlp-ca-file",
            Receiver.certificate,
        ]
        try trusted.run()
        trusted.waitUntilExit()
        #expect(trusted.terminationStatus == 0)
        let bodies = Self.receivedRecords(receiver).map { $0["body"] as? String ?? "" }
        #expect(bodies.sorted() == expected.map { $0["body"] as? String ?? "" }.sorted())

        // Without the CA file the self-signed certificate is not trusted (the system's store is used): no request
        // gets through, and the error says why.
        let stranger = try Receiver(script: "200", tls: true)
        let stderr = scratch.root + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        let untrusted = Process()
        untrusted.executableURL = URL(fileURLWithPath: Self.binary)
        untrusted.currentDirectoryURL = URL(fileURLWithPath: scratch.root)
        untrusted.arguments = [
            "logs/app.log", "--otlp-endpoint", "https://127.0.0.1:\(stranger.port)", "--otlp-timeout", "1s",
        ]
        untrusted.standardError = FileHandle(forWritingAtPath: stderr)
        try untrusted.run()
        defer {
            kill(untrusted.processIdentifier, SIGKILL)
            untrusted.waitUntilExit()
        }
        try Self.waitFor("the certificate error") {
            ((try? String(contentsOfFile: stderr, encoding: .utf8)) ?? "").contains("CERTIFICATE_VERIFY_FAILED")
        }
        #expect(stranger.requests.isEmpty)
    }
}

extension TailToOTLPTests {
    /// `weft run --config` with two source blocks to one endpoint: each block has its own sender and checkpoints,
    /// every record arrives, and the counters say which block they belong to.
    @Test func twoSourceBlocksShipEverythingEachWithItsOwnCounters() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.root + "/other", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.sample, toPath: scratch.root + "/logs/app.log")
        try FileManager.default.copyItem(atPath: Self.sample, toPath: scratch.root + "/other/app.log")
        let expected = try Self.expectedRecords(path: "logs/app.log", in: scratch)
        let receiver = try Receiver(script: "503,200", decode: true)
        try """
        state_dir: state
        metrics_address: 127.0.0.1:0
        sources:
          - {name: first, paths: [logs/*.log]}
          - {name: second, paths: [other/*.log], parsers: none}
        output:
          otlp: {endpoint: "http://127.0.0.1:\(receiver.port)", batch_max_records: 7, batch_timeout: 20ms}

        """.write(toFile: scratch.root + "/weft.yaml", atomically: true, encoding: .utf8)
        let lines = try String(contentsOfFile: Self.sample, encoding: .utf8).split(separator: "\n").count
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.root)
        process.arguments = ["run", "--config", "weft.yaml"]
        let stderr = scratch.root + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderr)
        try process.run()
        let base = try Self.metricsBase(stderr)
        // The first block merges traces; the second (parsers: none) sends a record per line.
        try Self.waitFor("every record of both blocks") {
            Self.receivedRecords(receiver).count >= expected.count + lines
        }
        try Self.waitFor("the counters of both blocks") {
            let samples = Self.metrics(base)
            return samples[#"weft_input_lines_total{source="first"}"#] == Double(lines)
                && samples[#"weft_input_lines_total{source="second"}"#] == Double(lines)
        }
        let samples = Self.metrics(base)
        #expect(samples[#"weft_otlp_records_sent_total{source="first"}"#] == Double(expected.count))
        #expect(samples[#"weft_otlp_records_sent_total{source="second"}"#] == Double(lines))
        #expect(Self.stop(process) == 0)
        let paths = Self.receivedRecords(receiver).map {
            ($0["attributes"] as? [String: Any])?["log.file.path"] as? String ?? ""
        }
        #expect(paths.filter { $0 == "logs/app.log" }.count == expected.count)
        #expect(paths.filter { $0 == "other/app.log" }.count == lines)
        #expect(FileManager.default.fileExists(atPath: scratch.root + "/state/first/checkpoints.json"))
        #expect(FileManager.default.fileExists(atPath: scratch.root + "/state/second/checkpoints.json"))
    }
}
