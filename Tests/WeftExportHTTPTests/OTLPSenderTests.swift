import CoreMetrics
import Foundation
import Prometheus
import Testing
import WeftCore
import WeftExport
import WeftIO
import WeftTestSupport

@testable import WeftExportHTTP

/// The loopback receiver (Support/otlp_receiver.py), answering as scripted and logging every request. Its stored
/// properties are set once; reading what it logged is reading a file, so a test's own thread may ask too.
final class Receiver: @unchecked Sendable {
    let process = Process()
    let port: Int
    let log: String

    /// A self-signed certificate for 127.0.0.1 and localhost, valid until 2126, made with
    /// `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=localhost
    /// -addext subjectAltName=IP:127.0.0.1,DNS:localhost` (test fixture: the key protects nothing).
    static let certificate = repositoryRoot + "/Tests/WeftExportHTTPTests/Support/loopback-cert.pem"
    static let key = repositoryRoot + "/Tests/WeftExportHTTPTests/Support/loopback-key.pem"
    /// Made the same way with `subjectAltName=DNS:localhost` only: valid for the name, not for the address, to test
    /// that the name is checked.
    static let localhostOnly = (
        certificate: repositoryRoot + "/Tests/WeftExportHTTPTests/Support/localhost-only-cert.pem",
        key: repositoryRoot + "/Tests/WeftExportHTTPTests/Support/localhost-only-key.pem"
    )
    let scheme: String

    init(
        script: String, decode: Bool = false, tls: Bool = false,
        identity: (certificate: String, key: String) = (Receiver.certificate, Receiver.key)
    ) throws {
        scheme = tls ? "https" : "http"
        log =
            FileManager.default.temporaryDirectory.appendingPathComponent("weft-receiver-\(UUID().uuidString).log")
            .path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", repositoryRoot + "/Tests/WeftExportHTTPTests/Support/otlp_receiver.py", "--log", log,
                "--script",
                script,
            ] + (decode ? ["--decode"] : [])
            + (tls ? ["--tls-cert", identity.certificate, "--tls-key", identity.key] : [])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    deinit {
        // SIGKILL: a child spawned by Foundation's Process here inherits a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: log)
    }

    var url: String { "\(scheme)://127.0.0.1:\(port)/v1/logs" }

    /// The requests received so far.
    var requests: [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

@Suite(.serialized) struct OTLPSenderTests {
    /// Short backoffs; a `Retry-After` of a second or two is still honoured (it is capped at the maximum).
    static let fastRetry = RetryPolicy(initial: 10_000_000, maximum: 5_000_000_000)

    /// The text whose UTF-8 bytes `hex` spells.
    static func unhex(_ hex: String) -> String {
        let digits = Array(hex.utf8)
        let bytes = stride(from: 0, to: digits.count - 1, by: 2).map {
            UInt8(String(decoding: digits[$0...($0 + 1)], as: UTF8.self), radix: 16) ?? 0
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func batch(_ sequence: UInt64, _ text: String = "payload") -> ExportBatch {
        ExportBatch(payload: Array("\(text) \(sequence)".utf8), lastSequence: sequence, records: 1)
    }

    func sender(
        _ receiver: Receiver, acknowledgements: Acknowledgements, deadLetter: DeadLetterDirectory? = nil,
        maxQueued: Int = 8, timeout: Int64 = 5_000_000_000, headers: [(name: String, value: String)] = [],
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws -> OTLPSender {
        var endpoint = OTLPEndpoint(url: receiver.url)
        endpoint.compression = .none
        endpoint.timeout = timeout
        endpoint.headers = headers
        return try OTLPSender(
            endpoint: endpoint, acknowledgements: acknowledgements, retry: Self.fastRetry, maxQueued: maxQueued,
            deadLetter: deadLetter, compress: nil, metrics: metrics, logger: CapturingLogHandler.silent)
    }

    /// Waits (bounded: fails the test after 20 s rather than hanging) until every record up to `sequence` is
    /// acknowledged.
    func waitForAcknowledgement(_ acknowledgements: Acknowledgements, through sequence: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while acknowledgements.acknowledged < sequence {
            if ContinuousClock.now > deadline {
                throw OTLPError(description: "not acknowledged through \(sequence) within 20 s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func batchesArriveInOrderAndAreAcknowledged() async throws {
        let receiver = try Receiver(script: "200")
        let acknowledgements = Acknowledgements()
        let sender = try sender(
            receiver, acknowledgements: acknowledgements, headers: [("Authorization", "Bearer secret")])
        for sequence in 1...5 as ClosedRange<UInt64> { try sender.enqueue(batch(sequence)) }
        try await waitForAcknowledgement(acknowledgements, through: 5)
        #expect(sender.close(timeout: 5_000_000_000))
        let requests = receiver.requests
        #expect(requests.count == 5)
        #expect(requests.map { $0["path"] as? String } == Array(repeating: "/v1/logs", count: 5))
        let bodies = requests.compactMap { $0["body"] as? String }.map(Self.unhex)
        #expect(bodies == (1...5).map { "payload \($0)" })
        let headers = try #require(requests.first?["headers"] as? [String: String])
        #expect(headers["content-type"] == "application/x-protobuf")
        #expect(headers["authorization"] == "Bearer secret")
        #expect(sender.statistics.batchesSent == 5)
    }

    /// With compression, a batch queued while the one before it waits for its answer is compressed during that
    /// wait, once each, and everything still goes out in order (retries included).
    ///
    /// Nothing here depends on when the test's own task runs (Swift Testing runs other tests beside it, and a loaded
    /// or sanitized run can keep it waiting for seconds): a thread of its own queues the next batches as soon as the
    /// first request is at the receiver, which holds its answer for three seconds, and the compressor notes how many
    /// batches were acknowledged at the moment it compressed each one.
    @Test func theNextBatchIsCompressedWhileOneIsInFlight() async throws {
        let receiver = try Receiver(script: "stall:3,503,200")
        let acknowledgements = Acknowledgements()
        let compressed = Locked<[(text: String, acknowledged: UInt64)]>([])
        var endpoint = OTLPEndpoint(url: receiver.url)
        endpoint.compression = .gzip
        // Real gzip (the receiver undoes it), noting what it compressed and when.
        let gzip = try GzipOnSenderThread()
        let sender = try OTLPSender(
            endpoint: endpoint, acknowledgements: acknowledgements, retry: Self.fastRetry, deadLetter: nil,
            compress: { payload in
                let acknowledged = acknowledgements.acknowledged
                compressed.withLock { $0.append((String(decoding: payload, as: UTF8.self), acknowledged)) }
                return gzip.compress(payload)
            }, logger: CapturingLogHandler.silent)
        try sender.enqueue(batch(1))
        let following = [batch(2), batch(3)]
        let queued = DispatchSemaphore(value: 0)
        let enqueuer = Thread {
            let deadline = ContinuousClock.now + .seconds(20)
            while receiver.requests.isEmpty && ContinuousClock.now < deadline { usleep(2_000) }
            for batch in following { try? sender.enqueue(batch) }
            queued.signal()
        }
        enqueuer.start()
        try await waitForAcknowledgement(acknowledgements, through: 3)
        queued.wait()
        sender.close(timeout: 1_000_000_000)
        let seen = compressed.withLock { $0 }
        #expect(seen.map(\.text) == ["payload 1", "payload 2", "payload 3"], "each batch once, in order")
        #expect(
            seen.dropFirst().first?.acknowledged == 0, "the second batch was compressed before the first was answered")
        let bodies = receiver.requests.compactMap { $0["body"] as? String }.map(Self.unhex)
        #expect(bodies == ["payload 1", "payload 2", "payload 2", "payload 3"])
    }

    @Test func serverErrorsAreRetriedUntilDelivered() async throws {
        let receiver = try Receiver(script: "503,502,504,200")
        let acknowledgements = Acknowledgements()
        let registry = PrometheusCollectorRegistry()
        let sender = try sender(
            receiver, acknowledgements: acknowledgements, metrics: PrometheusMetricsFactory(registry: registry))
        try sender.enqueue(batch(1))
        try await waitForAcknowledgement(acknowledgements, through: 1)
        sender.close(timeout: 1_000_000_000)
        #expect(receiver.requests.count == 4)
        #expect(sender.statistics.retriesServer == 3)
        #expect(sender.statistics.batchesSent == 1)
        #expect(sender.statistics.failingSince == nil, "delivered: no longer failing")
        let samples = prometheusSamples(registry.emitToString())
        #expect(samples[#"weft_otlp_retries_total{cause="server"}"#] == 3)
        #expect(samples[#"weft_otlp_retries_total{cause="connection"}"#] == 0)
        #expect(samples["weft_otlp_batches_sent_total"] == 1)
        #expect(samples["weft_otlp_records_sent_total"] == 1)
        #expect(samples[#"weft_otlp_payload_bytes_total{stage="uncompressed"}"#] == 9)
        #expect(samples[#"weft_otlp_payload_bytes_total{stage="sent"}"#] == 9)
        #expect(samples["weft_otlp_request_duration_seconds_count"] == 4)
        #expect(samples[#"weft_otlp_request_duration_seconds_bucket{le="+Inf"}"#] == 4)
        #expect(samples["weft_otlp_queue_batches"] == 0)
    }

    @Test func throttlingHonoursRetryAfter() async throws {
        let receiver = try Receiver(script: "429:1,200")
        let acknowledgements = Acknowledgements()
        let sender = try sender(receiver, acknowledgements: acknowledgements)
        let started = ContinuousClock.now
        try sender.enqueue(batch(1))
        try await waitForAcknowledgement(acknowledgements, through: 1)
        #expect(ContinuousClock.now - started >= .milliseconds(950), "Retry-After: 1 was not waited for")
        #expect(sender.statistics.retriesThrottled == 1)
        sender.close(timeout: 1_000_000_000)
    }

    @Test func aDroppedConnectionAndAStallAreRetried() async throws {
        let receiver = try Receiver(script: "drop,stall:3,200")
        let acknowledgements = Acknowledgements()
        let sender = try sender(receiver, acknowledgements: acknowledgements, timeout: 500_000_000)
        try sender.enqueue(batch(1))
        try await waitForAcknowledgement(acknowledgements, through: 1)
        sender.close(timeout: 1_000_000_000)
        #expect(sender.statistics.retriesConnection + sender.statistics.retriesTimeout >= 2)
        #expect(sender.statistics.retriesTimeout >= 1)
    }

    @Test func aRefusedBatchGoesToTheDeadLetterDirectory() async throws {
        let receiver = try Receiver(script: "400,200")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weft-dead-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let acknowledgements = Acknowledgements()
        let deadLetter = try DeadLetterDirectory(path: directory, logger: CapturingLogHandler.silent)
        let sender = try sender(receiver, acknowledgements: acknowledgements, deadLetter: deadLetter)
        try sender.enqueue(batch(1, "refused"))
        try sender.enqueue(batch(2, "accepted"))
        try await waitForAcknowledgement(acknowledgements, through: 2)
        sender.close(timeout: 1_000_000_000)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.count == 1)
        #expect(files.first?.hasSuffix("-1-http400.otlp.pb") == true)
        let kept = try String(contentsOfFile: directory + "/" + files[0], encoding: .utf8)
        #expect(kept == "refused 1")
        #expect(sender.statistics.deadLetteredRecords == 1)
        #expect(receiver.requests.count == 2, "a refused batch is not retried")
    }

    @Test func aPartialSuccessIsCounted() async throws {
        let receiver = try Receiver(script: "partial:3")
        let acknowledgements = Acknowledgements()
        let sender = try sender(receiver, acknowledgements: acknowledgements)
        try sender.enqueue(ExportBatch(payload: [1, 2, 3], lastSequence: 10, records: 10))
        try await waitForAcknowledgement(acknowledgements, through: 10)
        sender.close(timeout: 1_000_000_000)
        #expect(sender.statistics.partialSuccessRejected == 3)
    }

    @Test func aFullQueueBlocksAndABackendThatStaysDownAcknowledgesNothing() async throws {
        let receiver = try Receiver(script: "503")
        let acknowledgements = Acknowledgements()
        let sender = try sender(receiver, acknowledgements: acknowledgements, maxQueued: 2)
        try sender.enqueue(batch(1))
        try sender.enqueue(batch(2))
        // The third waits for a slot the down backend never frees.
        let third = Task.detached { try sender.enqueue(ExportBatch(payload: [0], lastSequence: 3, records: 1)) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(sender.statistics.queueDepth == 2)
        #expect(sender.statistics.failingSince != nil, "readiness tells how long sends have failed")
        #expect(acknowledgements.acknowledged == 0)
        #expect(!sender.close(timeout: 200_000_000), "nothing could be delivered")
        #expect(acknowledgements.acknowledged == 0)
        _ = try? await third.value  // released by close: refused, the sender is closed
        #expect(sender.statistics.retriesServer >= 1)
    }

    /// A hand-over waiting for room in a full queue beats the heartbeat: a collector paused by a slow backend is
    /// alive.
    @Test func aFullQueueKeepsTheHeartbeat() throws {
        let receiver = try Receiver(script: "stall:10")
        let heartbeat = Heartbeat()
        var endpoint = OTLPEndpoint(url: receiver.url)
        endpoint.compression = .none
        let sender = try OTLPSender(
            endpoint: endpoint, acknowledgements: Acknowledgements(), retry: Self.fastRetry, maxQueued: 1,
            deadLetter: nil, compress: nil, heartbeat: heartbeat, logger: CapturingLogHandler.silent)
        try sender.enqueue(batch(1))
        let started = MonotonicClock.now()
        #expect(throws: OTLPError.self) {
            try sender.enqueue(batch(2), deadline: started + 1_500_000_000)  // no room until the deadline
        }
        #expect(MonotonicClock.now() - started >= 1_400_000_000)
        #expect(heartbeat.age < 200_000_000, "last beat \(heartbeat.age / 1_000_000) ms ago")
        sender.close(timeout: 100_000_000)
    }

    @Test func retryDelaysGrowWithJitterAndHonourRetryAfter() {
        var random = SplitMix64(seed: 7)
        let policy = RetryPolicy(initial: 100, maximum: 10_000)
        for attempt in 1...12 {
            let delay = policy.delay(afterAttempt: attempt, retryAfter: nil, random: &random)
            #expect(delay >= 0 && delay <= min(10_000, 100 << (attempt - 1)))
        }
        #expect(policy.delay(afterAttempt: 3, retryAfter: 5_000, random: &random) == 5_000)
        #expect(policy.delay(afterAttempt: 3, retryAfter: 50_000, random: &random) == 10_000)
        #expect(RetryPolicy.verdict(status: 200) == .delivered)
        #expect(RetryPolicy.verdict(status: 429) == .retry)
        #expect(RetryPolicy.verdict(status: 503) == .retry)
        #expect(RetryPolicy.verdict(status: nil) == .retry)
        #expect(RetryPolicy.verdict(status: 400) == .refused)
        #expect(RetryPolicy.verdict(status: 413) == .refused)
        #expect(RetryPolicy.parseRetryAfter("7", now: 0) == 7_000_000_000)
        let date = RetryPolicy.parseRetryAfter("Sun, 29 Nov 2026 19:00:10 GMT", now: 1_795_978_800_000_000_000)
        #expect(date == 10_000_000_000)
        #expect(RetryPolicy.parseRetryAfter("soon", now: 0) == nil)
    }

    @Test func endpointsAndHeadersFollowTheOTelConventions() {
        #expect(OTLPEndpoint.resolve(base: "http://collector:4318", logs: nil) == "http://collector:4318/v1/logs")
        #expect(OTLPEndpoint.resolve(base: "http://collector:4318/", logs: nil) == "http://collector:4318/v1/logs")
        #expect(OTLPEndpoint.resolve(base: "http://c:4318/v1/logs", logs: nil) == "http://c:4318/v1/logs")
        #expect(OTLPEndpoint.resolve(base: "http://a", logs: "http://b/custom") == "http://b/custom")
        #expect(OTLPEndpoint.resolve(base: nil, logs: nil) == nil)
        let headers = OTLPEndpoint.parseHeaders("Authorization=Bearer%20abc, X-Scope-OrgID=tenant-1")
        #expect(headers?.map(\.name) == ["Authorization", "X-Scope-OrgID"])
        #expect(headers?.map(\.value) == ["Bearer abc", "tenant-1"])
        #expect(OTLPEndpoint.parseHeaders("novalue") == nil)
    }

    @Test func partialSuccessIsReadFromJSONToo() {
        let body = Array(#"{"partialSuccess":{"rejectedLogRecords":"12","errorMessage":"quota"}}"#.utf8)
        let parsed = PartialSuccess.json(body)
        #expect(parsed.count == 12)
        #expect(parsed.message == "quota")
        #expect(PartialSuccess.json(Array("{}".utf8)).count == 0)
    }
}
