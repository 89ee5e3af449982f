import WeftCore
import WeftExport
import WeftIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The OTLP/HTTP output: records are encoded into a batch on the caller's thread (protobuf or OTLP/JSON, straight
/// from the record's bytes), and each batch is handed to an ``OTLPSender``, which compresses, posts, retries and
/// acknowledges on its own thread.
///
/// A batch leaves when it holds ``Batching/maxRecords`` records or ``Batching/maxBytes`` bytes, or at a ``flush()``
/// once its first record is ``Batching/maxAge`` old (``flushDelay`` says when; the collector wakes for it), or at
/// any flush once ``closing`` is set. Handing a batch over blocks while the sender's queue is full: the
/// backpressure that pauses reading while the backend is slow or down. A batch whose hand-over was interrupted stays
/// here and goes first at the next flush, so acknowledgements never pass a record that was not sent.
public struct OTLPOutput: RecordOutput {
    public typealias Failure = OTLPError

    /// When a batch leaves.
    public struct Batching: Sendable {
        public var maxRecords = 1000
        public var maxBytes = 1 << 20
        /// Nanoseconds.
        public var maxAge: Int64 = 200_000_000

        public init() {}
    }

    public let sender: OTLPSender
    public let batching: Batching
    private var protobuf: OTLPLogsEncoder?
    private var json: OTLPJSONEncoder?
    private var sources = SourceTable()
    private var lastSequence: UInt64 = 0
    /// When the open batch got its first record (monotonic), or nil while it is empty.
    private var batchStarted: Int64?
    /// Full batches not handed over yet (in collector mode until the next flush; otherwise only one whose hand-over
    /// was interrupted). They go first, in order.
    private var sealed: [ExportBatch] = []
    /// A descriptor that, once readable, interrupts a hand-over waiting for room (the signal descriptor).
    public var interruption: Int32?
    /// A monotonic time past which a waiting hand-over gives up (shutdown's bound).
    public var deadline: Int64?
    /// Every flush sends what is open, whatever its age (set for shutdown).
    public var closing = false

    public init(sender: OTLPSender, batching: Batching = Batching(), scopeVersion: String) {
        self.sender = sender
        self.batching = batching
        if sender.endpoint.encoding == .protobuf {
            protobuf = OTLPLogsEncoder(scopeVersion: scopeVersion)
        } else {
            json = OTLPJSONEncoder(scopeVersion: scopeVersion)
        }
    }

    public mutating func describe(_ source: SourceID, as info: SourceInfo) {
        sources.set(source, info)
    }

    public mutating func release(_ source: SourceID) {
        sources.remove(source)
        protobuf?.forget(source)
        json?.forget(source)
    }

    public mutating func write(_ record: Record) throws(OTLPError) {
        if protobuf != nil {
            protobuf!.append(record, source: sources[record.source])
        } else {
            json!.append(record, source: sources[record.source])
        }
        lastSequence = record.sequence
        if batchStarted == nil { batchStarted = MonotonicClock.now() }
        if recordCount >= batching.maxRecords || byteCount >= batching.maxBytes {
            seal()
            if !handsOverOnlyOnFlush { try handOverSealed() }
        }
    }

    /// Hand batches over only in ``flush()``, never from ``write(_:)`` (the collector: a hand-over interrupted by a
    /// signal must not leave the engine half way through a chunk of input). Full batches wait sealed until then;
    /// what one round encodes is bounded.
    public var handsOverOnlyOnFlush = false

    /// Hands over the sealed batches (an interrupted one first), then the open one if it is old enough (or
    /// ``closing``).
    public mutating func flush() throws(OTLPError) {
        if let started = batchStarted, closing || MonotonicClock.now() - started >= batching.maxAge { seal() }
        try handOverSealed()
    }

    /// How long until the open batch is due, or nil when none is open.
    public var flushDelay: Int64? {
        if !sealed.isEmpty { return 0 }
        return batchStarted.map { max(0, $0 + batching.maxAge - MonotonicClock.now()) }
    }

    private var recordCount: Int { protobuf?.recordCount ?? json!.recordCount }
    private var byteCount: Int { protobuf?.byteCount ?? json!.byteCount }

    /// Closes the open batch into the queue of batches to hand over.
    private mutating func seal() {
        guard recordCount > 0 else { return }
        let records = recordCount
        let payload = protobuf != nil ? Array(protobuf!.finish()) : Array(json!.finish())
        batchStarted = nil
        sealed.append(ExportBatch(payload: payload, lastSequence: lastSequence, records: records))
    }

    /// Hands the sealed batches over in order; one whose hand-over is interrupted stays first.
    private mutating func handOverSealed() throws(OTLPError) {
        while let batch = sealed.first {
            try enqueue(batch)
            sealed.removeFirst()
        }
    }

    private func enqueue(_ batch: ExportBatch) throws(OTLPError) {
        try sender.enqueue(batch, interruption: interruption, deadline: deadline)
    }
}
