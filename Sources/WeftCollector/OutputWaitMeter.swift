import CoreMetrics
import Synchronization
import WeftCore

/// The time a collector's reading is paused for its output (in the output's flush: writing to a slow reader, or
/// waiting for room in a full OTLP queue), readable from any thread while a wait is still going on.
///
/// The collector marks the start and the end of each flush (two atomic stores a round, none per line). A wait on a
/// stalled backend can last minutes, during which the collector's own loop publishes nothing; so ``publish(at:)``
/// counts the wait in progress too, and the metrics server calls it before every scrape as well as the collector
/// once a second. Whoever publishes first adds the growth: the counter never goes back and never counts twice.
public final class OutputWaitMeter: Sendable {
    /// Nanoseconds of the waits that ended.
    private let finished = Atomic<Int64>(0)
    /// When the wait in progress began (monotonic), or -1 when none is.
    private let waitingSince = Atomic<Int64>(-1)
    /// Nanoseconds already added to the counter.
    private let published = Atomic<Int64>(0)
    private let counter = Locked<FloatingPointCounter?>(nil)

    public init() {}

    func begin(at now: Int64) {
        waitingSince.store(now, ordering: .releasing)
    }

    func end(at now: Int64) {
        let since = waitingSince.exchange(-1, ordering: .acquiringAndReleasing)
        if since >= 0 { finished.add(max(0, now - since), ordering: .releasing) }
    }

    /// Waited so far, the wait in progress included.
    public func nanoseconds(at now: Int64) -> Int64 {
        let since = waitingSince.load(ordering: .acquiring)
        return finished.load(ordering: .acquiring) + (since >= 0 ? max(0, now - since) : 0)
    }

    /// Where ``publish(at:)`` counts (`weft_backpressure_seconds_total`); the first one set stays.
    func attach(_ make: () -> FloatingPointCounter) {
        counter.withLock { if $0 == nil { $0 = make() } }
    }

    /// Adds to the counter what was waited since it was last told (nothing before ``attach(_:)``).
    public func publish(at now: Int64) {
        counter.withLock { counter in
            guard let counter else { return }
            let total = nanoseconds(at: now)
            let before = published.load(ordering: .relaxed)
            guard total > before else { return }  // a wait ending between two reads can look shorter: wait for it
            published.store(total, ordering: .relaxed)
            counter.increment(by: Double(total - before) / 1e9)
        }
    }
}
