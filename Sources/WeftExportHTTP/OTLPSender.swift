import CoreMetrics
import Dispatch
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import WeftCore
import WeftIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where and how batches are sent.
public struct OTLPEndpoint: Sendable {
    public enum Encoding: String, Sendable, CaseIterable {
        case protobuf = "http/protobuf"
        case json = "http/json"

        var contentType: String { self == .protobuf ? "application/x-protobuf" : "application/json" }
    }

    public enum Compression: String, Sendable, CaseIterable {
        case gzip, none
    }

    /// The full URL batches are posted to (a base endpoint gets `/v1/logs` appended by ``resolve(base:logs:)``).
    public var url: String
    public var encoding = Encoding.protobuf
    public var compression = Compression.gzip
    /// Extra request headers (`Authorization`, tenant ids), sent as given.
    public var headers: [(name: String, value: String)] = []
    /// One request's whole time, connection included (nanoseconds).
    public var timeout: Int64 = 10_000_000_000
    /// A PEM file of CA certificates to trust for `https://` instead of the system's store.
    public var caFile: String?

    public init(url: String) {
        self.url = url
    }

    /// The URL to post to, as OTel exporters derive it: a logs-specific endpoint is used as it is; a base endpoint
    /// (`OTEL_EXPORTER_OTLP_ENDPOINT`, `--otlp-endpoint`) gets `/v1/logs` appended unless it already ends with it.
    public static func resolve(base: String?, logs: String?) -> String? {
        if let logs, !logs.isEmpty { return logs }
        guard var base, !base.isEmpty else { return nil }
        if base.hasSuffix("/v1/logs") { return base }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/v1/logs"
    }

    /// `key=value,key2=value2` (the `OTEL_EXPORTER_OTLP_HEADERS` form; values may be percent-encoded).
    public static func parseHeaders(_ text: String) -> [(name: String, value: String)]? {
        var headers: [(name: String, value: String)] = []
        for pair in text.split(separator: ",") {
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let name = String(pair[..<equals]).trimmingWhitespace
            let value = String(pair[pair.index(after: equals)...]).trimmingWhitespace
            guard !name.isEmpty else { return nil }
            headers.append((name, percentDecoded(value)))
        }
        return headers
    }
}

/// `%XX` sequences decoded (W3C Baggage octets, as the OTel header variable allows); anything else kept as it is.
func percentDecoded(_ text: String) -> String {
    let bytes = Array(text.utf8)
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
            let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
        {
            out.append(value)
            index += 3
        } else {
            out.append(bytes[index])
            index += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// One batch of records encoded for the endpoint.
public struct ExportBatch: Sendable {
    /// The encoded request, uncompressed.
    public var payload: [UInt8]
    /// The ``WeftCore/Record/sequence`` of its last record: acknowledged when the batch is delivered.
    public var lastSequence: UInt64
    public var records: Int

    public init(payload: [UInt8], lastSequence: UInt64, records: Int) {
        self.payload = payload
        self.lastSequence = lastSequence
        self.records = records
    }
}

/// Counters of an OTLP sender.
public struct SenderStatistics: Sendable, Equatable {
    public var batchesSent = 0
    public var recordsSent = 0
    public var retriesConnection = 0
    public var retriesTimeout = 0
    public var retriesThrottled = 0
    public var retriesServer = 0
    public var bytesUncompressed: Int64 = 0
    public var bytesCompressed: Int64 = 0
    /// Records the server said it rejected in a partial-success response (it accepted the rest).
    public var partialSuccessRejected: Int64 = 0
    public var deadLetteredBatches = 0
    public var deadLetteredRecords = 0
    public var queueDepth = 0
    /// Requests made (successful or not) and their summed latency; the latency histogram is in the metrics
    /// (`weft_otlp_request_duration_seconds`).
    public var requests = 0
    public var latencySumNanoseconds: Int64 = 0
    /// When (monotonic) the batch being sent first failed, while its attempts keep failing; nil otherwise.
    public var failingSince: Int64?
}

/// The sender stopped for good (closed, or the dead-letter directory unusable), or a wait for room in its queue was
/// cut short (``isInterruption``: nothing is lost, the batch is kept by the output).
public struct OTLPError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public var isInterruption = false

    public init(description: String, isInterruption: Bool = false) {
        self.description = description
        self.isInterruption = isInterruption
    }
}

/// Sends encoded batches to an OTLP/HTTP endpoint on a thread of its own, one at a time and in order, retrying
/// until each is delivered, and acknowledges their records as they are.
///
/// ``enqueue(_:)`` blocks while ``maxQueued`` batches wait or are in flight: that is the backpressure that pauses the
/// collector's reading when the backend is slow or down, with memory bounded by the queue. Batches are sent one at a
/// time so that acknowledgements stay in record order (a checkpoint never passes an unsent batch), over one
/// keep-alive connection of Weft's own HTTP/1.1 client
/// (``HTTP1Connection``). Compression runs on the sender's thread, the second core.
public final class OTLPSender: Sendable {
    public let endpoint: OTLPEndpoint
    public let retry: RetryPolicy
    public let maxQueued: Int
    private let acknowledgements: Acknowledgements
    private let deadLetter: DeadLetterDirectory?
    private let compress: (@Sendable ([UInt8]) -> [UInt8])?
    private let logger: Logger
    private let connection: HTTP1Connection
    private let headers: HTTPHeaders
    private let metrics: SenderMetrics
    private let heartbeat: Heartbeat?

    private struct State {
        var queue: [ExportBatch] = []
        var closing = false
        var stopped = false
        var statistics = SenderStatistics()
    }

    private let state = Locked(State())
    private let slots: DispatchSemaphore
    private let items = DispatchSemaphore(value: 0)
    /// Signalled to cut a backoff wait short when closing.
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled when a request is answered or a batch is queued: what the sender waits on while a request is in
    /// flight, so that a batch queued meanwhile is compressed before the answer comes.
    private let progress = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the sender's thread.
    ///
    /// - Parameters:
    ///   - maxQueued: batches waiting or in flight before ``enqueue(_:)`` blocks.
    ///   - deadLetter: where refused batches are kept (nil: they are logged and counted, and acknowledged, since
    ///     resending them could never succeed).
    ///   - compress: gzip, when the endpoint's compression is `gzip`.
    ///   - metrics: where the counters go (swift-metrics; the bootstrapped backend by default).
    ///   - metricsDimensions: labels on every metric (`source`, when several senders count side by side).
    ///   - heartbeat: beaten while ``enqueue(_:interruption:deadline:)`` waits for room (waiting is being alive).
    public init(
        endpoint: OTLPEndpoint, acknowledgements: Acknowledgements, retry: RetryPolicy = RetryPolicy(),
        maxQueued: Int = 8, deadLetter: DeadLetterDirectory?, compress: (@Sendable ([UInt8]) -> [UInt8])?,
        metrics: any MetricsFactory = MetricsSystem.factory, metricsDimensions: [(String, String)] = [],
        heartbeat: Heartbeat? = nil,
        logger: Logger
    ) throws {
        precondition(maxQueued >= 1)
        self.endpoint = endpoint
        self.retry = retry
        self.maxQueued = maxQueued
        self.acknowledgements = acknowledgements
        self.deadLetter = deadLetter
        self.compress = endpoint.compression == .gzip ? compress : nil
        self.logger = logger
        self.metrics = SenderMetrics(factory: metrics, dimensions: metricsDimensions)
        self.heartbeat = heartbeat
        slots = DispatchSemaphore(value: maxQueued)
        // An invalid URL or an unreadable CA file fails here, not at the first request.
        connection = try HTTP1Connection(url: endpoint.url, caFile: endpoint.caFile, timeout: endpoint.timeout)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: endpoint.encoding.contentType)
        headers.add(name: "User-Agent", value: "weft")
        if endpoint.compression == .gzip { headers.add(name: "Content-Encoding", value: "gzip") }
        for (name, value) in endpoint.headers { headers.replaceOrAdd(name: name, value: value) }
        self.headers = headers
        let queue = DispatchQueue(label: "weft.otlp.sender")
        queue.async { [self] in self.loop() }
    }

    public var statistics: SenderStatistics { state.withLock { $0.statistics } }

    /// Queues a batch, blocking while the queue is full: until there is room, `interruption` becomes readable
    /// (throws ``OTLPError/isInterruption``), or the monotonic `deadline` passes (likewise).
    public func enqueue(_ batch: ExportBatch, interruption: Int32? = nil, deadline: Int64? = nil) throws(OTLPError) {
        while slots.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            heartbeat?.beat()
            if let interruption {
                var watched = pollfd(fd: interruption, events: Int16(POLLIN), revents: 0)
                if poll(&watched, 1, 0) > 0 {
                    throw OTLPError(description: "interrupted while the OTLP queue was full", isInterruption: true)
                }
            }
            if let deadline, MonotonicClock.now() >= deadline {
                throw OTLPError(description: "the OTLP queue stayed full until the deadline", isInterruption: true)
            }
        }
        let accepted = state.withLock { state -> Bool in
            guard !state.closing else { return false }
            state.queue.append(batch)
            state.statistics.queueDepth = state.queue.count
            metrics.queueDepth.record(state.queue.count)
            return true
        }
        guard accepted else {
            slots.signal()
            throw OTLPError(description: "the OTLP sender is closed")
        }
        items.signal()
        progress.signal()
    }

    /// Stops once the queued batches are delivered, or after `timeout` nanoseconds, whichever comes first (batches
    /// not delivered then stay unacknowledged: their files' checkpoints stay before them). Returns whether
    /// everything queued was delivered.
    @discardableResult
    public func close(timeout: Int64) -> Bool {
        let first = state.withLock { state -> Bool in
            let first = !state.closing
            state.closing = true
            return first
        }
        if first { items.signal() }  // the loop wakes to see `closing` when the queue is empty
        let drained = finished.wait(timeout: .now() + .nanoseconds(Int(clamping: timeout))) == .success
        if !drained {
            state.withLock { $0.stopped = true }
            wake.signal()
            _ = finished.wait(timeout: .now() + .seconds(2))
        }
        connection.close()
        // Callers blocked in enqueue() wake to find the sender closed.
        for _ in 0..<maxQueued { slots.signal() }
        return drained && state.withLock { $0.queue.isEmpty }
    }

    // MARK: - The sender's thread

    private func loop() {
        var random = SystemRandomNumberGenerator()
        // The next batch's body, compressed while the one before it was in flight (gzip is this thread's main work:
        // overlapping it with the wait for the server's answer keeps the second core busy).
        var prepared: (sequence: UInt64, body: [UInt8])?
        while true {
            items.wait()
            let next = state.withLock { state -> ExportBatch? in
                if state.stopped { return nil }
                return state.queue.first
            }
            guard let batch = next else {
                if state.withLock({ $0.closing || $0.stopped }) { break }
                continue
            }
            let body =
                prepared?.sequence == batch.lastSequence
                ? prepared!.body : compress.map { $0(batch.payload) } ?? batch.payload
            prepared = nil
            let delivered = send(batch, body: body, random: &random) {
                guard let compress, prepared == nil,
                    let following = state.withLock({ $0.queue.count > 1 ? $0.queue[1] : nil })
                else { return }
                prepared = (following.lastSequence, compress(following.payload))
            }
            state.withLock { state in
                if delivered { state.queue.removeFirst() }
                state.statistics.queueDepth = state.queue.count
                metrics.queueDepth.record(state.queue.count)
            }
            guard delivered else { break }  // stopped while retrying
            acknowledgements.acknowledge(through: batch.lastSequence)
            slots.signal()
            if state.withLock({ $0.closing && $0.queue.isEmpty }) { break }
        }
        finished.signal()
    }

    /// Sends `body` (the batch, compressed if it is to be) until delivered or refused (true), or until stopped
    /// (false). `whileInFlight` runs once a request is on its way, and again whenever a batch is queued before its
    /// answer comes.
    private func send(
        _ batch: ExportBatch, body: [UInt8], random: inout SystemRandomNumberGenerator, whileInFlight: () -> Void
    ) -> Bool {
        state.withLock {
            $0.statistics.bytesUncompressed += Int64(batch.payload.count)
            $0.statistics.bytesCompressed += Int64(body.count)
        }
        metrics.bytesUncompressed.increment(by: batch.payload.count)
        metrics.bytesCompressed.increment(by: body.count)
        var attempt = 0
        while true {
            attempt += 1
            let started = MonotonicClock.now()
            var finishedAt: Int64?
            var status: Int?
            var retryAfter: Int64?
            var responseBody: ByteBuffer?
            var failure: String?
            do {
                let answer = connection.post(headers: headers, body: body)
                let answered = AnswerTime()
                answer.whenComplete { [progress] _ in
                    answered.stamp()
                    progress.signal()
                }
                while true {
                    whileInFlight()
                    if answered.time != nil { break }
                    progress.wait()
                }
                let response = try answer.wait()
                finishedAt = answered.time
                status = response.status
                responseBody = response.body
                retryAfter = RetryPolicy.parseRetryAfter(
                    response.headers.first(name: "Retry-After"), now: SystemClock().now())
            } catch {
                failure = "\(error)"
                let timedOut = (error as? HTTP1Error)?.isTimeout ?? false
                state.withLock {
                    if timedOut { $0.statistics.retriesTimeout += 1 } else { $0.statistics.retriesConnection += 1 }
                }
                (timedOut ? metrics.retriesTimeout : metrics.retriesConnection).increment()
            }
            noteLatency((finishedAt ?? MonotonicClock.now()) - started)
            switch RetryPolicy.verdict(status: status) {
            case .delivered:
                let rejected = PartialSuccess.rejected(in: responseBody, encoding: endpoint.encoding)
                state.withLock {
                    $0.statistics.batchesSent += 1
                    $0.statistics.recordsSent += batch.records
                    $0.statistics.partialSuccessRejected += rejected.count
                    $0.statistics.failingSince = nil
                }
                metrics.batchesSent.increment()
                metrics.recordsSent.increment(by: batch.records)
                if rejected.count > 0 { metrics.partialRejected.increment(by: rejected.count) }
                if rejected.count > 0 {
                    logger.warning(
                        "the OTLP endpoint accepted a batch in part",
                        metadata: [
                            "rejected": "\(rejected.count)", "records": "\(batch.records)",
                            "reason": "\(rejected.message ?? "-")",
                        ])
                }
                return true
            case .refused:
                let code = status ?? 0
                let kept = deadLetter?.keep(batch, status: code, encoding: endpoint.encoding)
                state.withLock {
                    $0.statistics.deadLetteredBatches += 1
                    $0.statistics.deadLetteredRecords += batch.records
                    $0.statistics.failingSince = nil
                }
                metrics.deadLetteredBatches.increment()
                metrics.deadLetteredRecords.increment(by: batch.records)
                logger.error(
                    "the OTLP endpoint refused a batch; it is not retried",
                    metadata: [
                        "status": "\(code)", "records": "\(batch.records)",
                        "kept_in": "\(kept ?? "nowhere (no dead-letter directory)")",
                    ])
                return true
            case .retry:
                if let status {
                    state.withLock {
                        if status == 429 {
                            $0.statistics.retriesThrottled += 1
                        } else {
                            $0.statistics.retriesServer += 1
                        }
                    }
                    (status == 429 ? metrics.retriesThrottled : metrics.retriesServer).increment()
                }
                state.withLock { $0.statistics.failingSince = $0.statistics.failingSince ?? started }
                let wait = retry.delay(afterAttempt: attempt, retryAfter: retryAfter, random: &random)
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning(
                        "sending to the OTLP endpoint failed; retrying",
                        metadata: [
                            "url": "\(endpoint.url)",
                            "reason": "\(status.map { "HTTP \($0)" } ?? failure ?? "no response")",
                            "retry_in_ms": "\(wait / 1_000_000)", "attempt": "\(attempt)",
                        ])
                }
                if wake.wait(timeout: .now() + .nanoseconds(Int(clamping: wait))) == .success {
                    wake.signal()  // keep the wake-up for the loop
                }
                if state.withLock({ $0.stopped }) { return false }
            }
        }
    }

    private func noteLatency(_ nanoseconds: Int64) {
        state.withLock {
            $0.statistics.requests += 1
            $0.statistics.latencySumNanoseconds += nanoseconds
        }
        metrics.requestDuration.recordNanoseconds(nanoseconds)
    }
}

/// Reads OTLP's partial-success answer (`ExportLogsServiceResponse.partial_success`): how many records the server
/// rejected while accepting the rest, and why.
enum PartialSuccess {
    static func rejected(in body: ByteBuffer?, encoding: OTLPEndpoint.Encoding) -> (count: Int64, message: String?) {
        guard let body, body.readableBytes > 0 else { return (0, nil) }
        let bytes = Array(body.readableBytesView)
        return encoding == .protobuf ? protobuf(bytes) : json(bytes)
    }

    /// Field 1 (partial_success, a message) holding field 1 (rejected_log_records, varint) and 2 (error_message).
    static func protobuf(_ bytes: [UInt8]) -> (count: Int64, message: String?) {
        var reader = ProtobufReader(bytes: bytes[...])
        while let (field, value) = reader.next() {
            guard field == 1, case .bytes(let inner) = value else { continue }
            var nested = ProtobufReader(bytes: inner)
            var count: Int64 = 0
            var message: String?
            while let (innerField, innerValue) = nested.next() {
                switch (innerField, innerValue) {
                case (1, .varint(let value)): count = Int64(bitPattern: value)
                case (2, .bytes(let text)): message = String(decoding: text, as: UTF8.self)
                default: break
                }
            }
            return (count, message?.isEmpty == false ? message : nil)
        }
        return (0, nil)
    }

    /// `{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"…"}}` (int64 as a string or a number).
    static func json(_ bytes: [UInt8]) -> (count: Int64, message: String?) {
        guard let afterKey = end(of: #""rejectedLogRecords""#, in: bytes) else { return (0, nil) }
        let isFiller = { (byte: UInt8) in byte == UInt8(ascii: ":") || byte == UInt8(ascii: " ") || byte == 0x22 }
        let digits = bytes[afterKey...].drop(while: isFiller).prefix { $0 >= 0x30 && $0 <= 0x39 }
        let count = Int64(String(decoding: digits, as: UTF8.self)) ?? 0
        var message: String?
        if let afterMessage = end(of: #""errorMessage""#, in: bytes) {
            let rest = bytes[afterMessage...].drop { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: " ") }
            if rest.first == 0x22 { message = String(decoding: rest.dropFirst().prefix { $0 != 0x22 }, as: UTF8.self) }
        }
        return (count, message?.isEmpty == false ? message : nil)
    }

    /// The index just after the first occurrence of `pattern` in `bytes`.
    static func end(of pattern: String, in bytes: [UInt8]) -> Int? {
        let needle = Array(pattern.utf8)
        guard needle.count <= bytes.count else { return nil }
        for start in 0...(bytes.count - needle.count) where bytes[start..<(start + needle.count)].elementsEqual(needle)
        {
            return start + needle.count
        }
        return nil
    }
}

/// The few protobuf wire types a response needs.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed
    }

    var bytes: ArraySlice<UInt8>

    mutating func next() -> (Int, Value)? {
        guard let key = varint() else { return nil }
        let field = Int(key >> 3)
        switch key & 7 {
        case 0:
            guard let value = varint() else { return nil }
            return (field, .varint(value))
        case 1:
            guard bytes.count >= 8 else { return nil }
            bytes = bytes.dropFirst(8)
            return (field, .fixed)
        case 2:
            guard let length = varint(), length <= UInt64(bytes.count) else { return nil }
            let value = bytes.prefix(Int(length))
            bytes = bytes.dropFirst(Int(length))
            return (field, .bytes(value))
        case 5:
            guard bytes.count >= 4 else { return nil }
            bytes = bytes.dropFirst(4)
            return (field, .fixed)
        default:
            return nil
        }
    }

    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.first {
            bytes = bytes.dropFirst()
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }
}

/// When a request was answered (on the event loop), for its latency: the sender may still be compressing the next
/// batch then.
private final class AnswerTime: Sendable {
    private let value = Atomic<Int64>(0)
    func stamp() { value.store(MonotonicClock.now(), ordering: .releasing) }
    var time: Int64? {
        let time = value.load(ordering: .acquiring)
        return time == 0 ? nil : time
    }
}
