#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value that threads share, behind a lock: the OTLP sender's queue, the acknowledgements, the operator log's
/// rate-limit windows.
///
/// The standard library's `Synchronization.Mutex` would do the same, but on Linux ThreadSanitizer cannot see it: with
/// Swift 6.3.1, two threads appending to one array under one `Mutex` are reported as a race (a ten-line program shows
/// it, and the array ends with every element). Weft's concurrent parts run under ThreadSanitizer in CI
/// (`scripts/sanitize.sh thread`), so the lock is a pthread mutex, which ThreadSanitizer intercepts.
///
/// ```swift
/// let queue = Locked<[Int]>([])
/// queue.withLock { $0.append(1) }
/// let depth = queue.withLock { $0.count }
/// ```
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock; `body` must not call back into this lock.
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
