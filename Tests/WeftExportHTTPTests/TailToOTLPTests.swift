import Foundation
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
    static func tail(_ scratch: Scratch, url: String, extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.root)
        process.arguments =
            [
                "tail", "logs/*.log", "--state-dir", "state", "--otlp-endpoint", url, "--batch-max-records", "7",
                "--batch-timeout", "20ms", "--flush-timeout", "50ms", "--checkpoint-interval", "50ms",
            ] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
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
