import Synchronization

/// Proof of life of a loop, for a liveness probe (`/healthz`): the loop beats at every turn, and so does every wait
/// it makes on purpose (an output pushing back), so a collector paused by a slow backend is alive while one stuck in
/// a system call or spinning is not. Read from another thread.
public final class Heartbeat: Sendable {
    private let last: Atomic<Int64>
    private let ready = Atomic<Bool>(false)

    /// Starts as if it had just beaten: a loop still starting up is alive.
    public init() {
        last = Atomic(MonotonicClock.now())
    }

    public func beat() {
        last.store(MonotonicClock.now(), ordering: .relaxed)
    }

    /// Nanoseconds since the last beat.
    public var age: Int64 { MonotonicClock.now() - last.load(ordering: .relaxed) }

    /// The loop has done its first full turn (for a collector: its inputs discovered).
    public var started: Bool {
        get { ready.load(ordering: .acquiring) }
        set { ready.store(newValue, ordering: .releasing) }
    }
}
