internal import CWeftSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Termination requests (SIGINT, SIGTERM) as a descriptor, the one place Weft learns of signals.
///
/// On Linux the signals are blocked and read from a `signalfd(2)`: a poll loop waits on ``fd`` beside its inputs
/// and wakes at once, a read loop asks ``received()`` between chunks, and no handler or global flag is involved.
/// Create it before any other thread starts (the mask is per thread, inherited by threads created later).
///
/// ```swift
/// let signals = try SignalSource()
/// while signals.received() == nil, try reader.readChunk({ … }) > 0 {}
/// ```
public final class SignalSource {
    /// Readable when a signal is pending (-1 where the system has no signalfd).
    public let fd: Int32
    private var firstTermination: Int32?
    /// Signals read and not yet taken, by number.
    private var counts: [Int32: Int] = [:]

    /// Blocks `signals` (default: SIGINT and SIGTERM) and opens the descriptor.
    ///
    /// - Throws: ``SignalSourceError`` if the system refuses.
    public init(signals: [Int32]? = nil) throws(SignalSourceError) {
        let signals = signals ?? [SIGINT, SIGTERM]
        #if os(Linux)
            let fd = signals.withUnsafeBufferPointer { weft_signalfd_open($0.baseAddress, Int32($0.count)) }
            if fd < 0 { throw SignalSourceError(errno: errno) }
            self.fd = fd
        #else
            self.fd = -1
        #endif
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// The first termination signal (SIGINT or SIGTERM) received so far, reading any that are pending; nil if none
    /// was.
    public func received() -> Int32? {
        readPending()
        return firstTermination
    }

    /// How many times `signal` arrived since the last call (SIGHUP: reopen the output once per batch).
    public func take(_ signal: Int32) -> Int {
        readPending()
        return counts.removeValue(forKey: signal) ?? 0
    }

    private func readPending() {
        #if os(Linux)
            while true {
                let signal = weft_signalfd_read(fd)
                if signal > 0 {
                    if signal == SIGINT || signal == SIGTERM {
                        if firstTermination == nil { firstTermination = signal }
                    } else {
                        counts[signal, default: 0] += 1
                    }
                } else if signal < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
        #endif
    }
}

/// `signalfd(2)` or the signal mask could not be set up.
public struct SignalSourceError: Error, Sendable, CustomStringConvertible {
    public var errno: Int32
    public var description: String { "cannot watch signals: \(String(cString: strerror(errno))) (errno \(errno))" }
}
