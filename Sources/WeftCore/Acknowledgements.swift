/// The completion side of an output: which records are durable, or why they will never be.
///
/// Modelled on SwiftNIO's write promises, with one watermark instead of a promise per record: records are
/// acknowledged in ``Record/sequence`` order, so "every record up to N is durable" says it all. The output that was
/// given this object calls ``acknowledge(through:)`` (the file output after write and flush, a network output after
/// the server's success, from whatever thread its I/O runs on) or ``fail(_:)``; the collector reads ``acknowledged``
/// or waits with ``wait(through:)``, and advances checkpoints only that far.
///
/// ```swift
/// let acks = Acknowledgements()
/// var output = FileOutput(fd: STDOUT_FILENO, name: "stdout", acknowledgements: acks)
/// try pipeline.feed(bytes, from: source, now: now, into: &output)
/// let mark = (sequence: pipeline.lastSequence, offset: pipeline.settledOffset(of: source))
/// try output.flush()
/// try await acks.wait(through: mark.sequence)   // now mark.offset may be checkpointed
/// ```
public final class Acknowledgements: Sendable {
    private struct State {
        var acknowledged: UInt64 = 0
        var failure: (any Error & Sendable)?
        var waiters: [(sequence: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let state = Locked(State())

    public init() {}

    /// Every record with a sequence up to this one is durable (0: none yet).
    public var acknowledged: UInt64 { state.withLock { $0.acknowledged } }

    /// Why the output gave up, if it did: no record after ``acknowledged`` will be acknowledged.
    public var failure: (any Error & Sendable)? { state.withLock { $0.failure } }

    /// Records up to `sequence` are durable. A lower sequence than already acknowledged changes nothing.
    public func acknowledge(through sequence: UInt64) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard sequence > state.acknowledged else { return [] }
            state.acknowledged = sequence
            var ready: [CheckedContinuation<Void, any Error>] = []
            state.waiters.removeAll { waiter in
                guard waiter.sequence <= sequence else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// The output failed for good; every waiter for a record not yet acknowledged gets `error`.
    public func fail(_ error: any Error & Sendable) {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            if state.failure == nil { state.failure = error }
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        for continuation in waiting { continuation.resume(throwing: error) }
    }

    /// Returns once every record up to `sequence` is durable; throws the output's failure if it fails first.
    public func wait(through sequence: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Bool, any Error> in
                if state.acknowledged >= sequence { return .success(true) }
                if let failure = state.failure { return .failure(failure) }
                state.waiters.append((sequence, continuation))
                return .success(false)
            }
            switch outcome {
            case .success(true): continuation.resume()
            case .success(false): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }
}
