import Logging
import WeftCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How Weft's own messages are written: `logfmt` (`time=… level=warning msg="…" path=…`) or one JSON object per line.
public enum OperatorLogFormat: String, Sendable, CaseIterable {
    case logfmt, json
}

/// Weft's own log (swift-log's `LogHandler`): one line per event to a descriptor (standard error), never mixed with
/// the records, in logfmt or JSON, with at most ``RateLimit/burst`` lines per message per ``RateLimit/window``: a
/// file that keeps failing cannot flood the operator's log, and what was held back is counted in the next line of
/// that message (`suppressed=N`).
public struct OperatorLogHandler: LogHandler {
    public struct RateLimit: Sendable {
        public var burst = 10
        /// Nanoseconds.
        public var window: Int64 = 60_000_000_000

        public init() {}
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: Sink

    /// - Parameters:
    ///   - clock: the wall clock in nanoseconds since the epoch (the lines' `time`, and the rate limit's windows).
    public init(
        format: OperatorLogFormat, level: Logger.Level = .info, fd: Int32 = STDERR_FILENO,
        rateLimit: RateLimit = RateLimit(), clock: @escaping @Sendable () -> Int64 = OperatorLogHandler.wallClock
    ) {
        logLevel = level
        sink = Sink(format: format, fd: fd, rateLimit: rateLimit, clock: clock)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        if let error = event.error { merged["error"] = "\(error)" }
        sink.write(level: event.level, message: event.message.description, metadata: merged)
    }

    public static let wallClock: @Sendable () -> Int64 = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}

/// Shared by every copy of a handler: the descriptor, the format and the rate limit's counts.
private final class Sink: Sendable {
    let format: OperatorLogFormat
    let fd: Int32
    let rateLimit: OperatorLogHandler.RateLimit
    let clock: @Sendable () -> Int64

    private struct Window {
        var start: Int64
        var written = 0
        var suppressed = 0
    }

    /// By level and message: the lines of one kind of event, whatever their metadata.
    private let windows = Locked<[String: Window]>([:])

    init(
        format: OperatorLogFormat, fd: Int32, rateLimit: OperatorLogHandler.RateLimit,
        clock: @escaping @Sendable () -> Int64
    ) {
        self.format = format
        self.fd = fd
        self.rateLimit = rateLimit
        self.clock = clock
    }

    func write(level: Logger.Level, message: String, metadata: Logger.Metadata) {
        let now = clock()
        let key = "\(level.rawValue) \(message)"
        let suppressed = windows.withLock { windows -> Int? in
            var window = windows[key] ?? Window(start: now)
            if now - window.start >= rateLimit.window || now < window.start {
                window = Window(start: now, suppressed: window.suppressed)
            }
            defer { windows[key] = window }
            guard window.written < rateLimit.burst else {
                window.suppressed += 1
                return nil
            }
            window.written += 1
            let held = window.suppressed
            window.suppressed = 0
            return held
        }
        guard let suppressed else { return }
        var fields: [(String, String)] = metadata.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
        if suppressed > 0 { fields.append(("suppressed", "\(suppressed)")) }
        let line =
            format == .json
            ? Self.json(time: now, level: level, message: message, fields: fields)
            : Self.logfmt(time: now, level: level, message: message, fields: fields)
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }  // stderr gone: nothing better to do with a log line
                offset += written
            }
        }
    }

    static func logfmt(time: Int64, level: Logger.Level, message: String, fields: [(String, String)]) -> String {
        var line = "time=\(rfc3339(time)) level=\(level.rawValue) msg=\(logfmtValue(message))"
        for (key, value) in fields { line += " \(key)=\(logfmtValue(value))" }
        return line
    }

    static func json(time: Int64, level: Logger.Level, message: String, fields: [(String, String)]) -> String {
        var line = #"{"time":"\#(rfc3339(time))","level":"\#(level.rawValue)","msg":\#(jsonString(message))"#
        for (key, value) in fields where !["time", "level", "msg"].contains(key) {
            line += ",\(jsonString(key)):\(jsonString(value))"
        }
        return line + "}"
    }

    /// Bare when it is a plain word, quoted (with `"` and `\` escaped, controls as `\n`, `\t`, `\uXXXX`) otherwise.
    static func logfmtValue(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value != 0x7F
            }
        return plain ? value : jsonString(value)
    }

    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `2026-03-14T09:00:00.123Z` (milliseconds, UTC).
    static func rfc3339(_ nanoseconds: Int64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let milliseconds = Int(nanoseconds / 1_000_000 % 1000)
        let fraction =
            milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}
