import WeftCore

// `journalctl -o json`: one object per entry, every field a string (a field that is not valid UTF-8 is an array of
// byte values; a field written more than once is an array of strings), keys in no fixed order:
// {"__CURSOR":"s=…","__REALTIME_TIMESTAMP":"1795987573665209","_HOSTNAME":"vm","SYSLOG_IDENTIFIER":"pyapp",
//  "_PID":"4519","MESSAGE":"ValueError: boom",…}
//
// Walked once with JSONScanner, as Docker's lines are: `MESSAGE` is unescaped into the scratch buffer, the time is the
// microseconds of `__REALTIME_TIMESTAMP`, and the key of the entry's stream is assembled from `_HOSTNAME`,
// `SYSLOG_IDENTIFIER` (or `_COMM`), `_PID`, `_COMM` and `_SYSTEMD_UNIT`. Anything else is skipped.

extension PrefixDecoder {
    private enum JournalKey {
        case message, realtime, hostname, identifier, pid, comm, unit, other
    }

    /// The message, time, stream key and whether invalid UTF-8 was seen, or nil if `text` is not a journal JSON
    /// entry with a string `MESSAGE` and a `__REALTIME_TIMESTAMP`.
    mutating func journalJSON(
        _ text: UnsafeRawBufferPointer
    ) -> (UnsafeRawBufferPointer, Int64, UnsafeRawBufferPointer, Bool)? {
        let n = text.count
        guard n >= 2, let raw = text.baseAddress else { return nil }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        var i = JSONScanner.skipWhitespace(p, 0, n)
        guard i < n, p[i] == UInt8(ascii: "{") else { return nil }
        scratch.removeSuffix(from: 0)
        scratch.makeUnique()
        scratch.reserve(n)
        var message: Int?
        var time = Timestamp.none
        var invalid = false
        // No array per line: one range per field kept.
        var hostname: Range<Int>?
        var identifier: Range<Int>?
        var pid: Range<Int>?
        var comm: Range<Int>?
        var unit: Range<Int>?
        i = JSONScanner.skipWhitespace(p, i + 1, n)
        while i < n, p[i] == UInt8(ascii: "\"") {
            guard let afterKey = JSONScanner.skipString(p, i, n) else { return nil }
            let key = Self.journalKey(p, i + 1, afterKey - 1)
            i = JSONScanner.skipWhitespace(p, afterKey, n)
            guard i < n, p[i] == UInt8(ascii: ":") else { return nil }
            i = JSONScanner.skipWhitespace(p, i + 1, n)
            guard i < n else { return nil }
            switch key {
            case .message:
                guard p[i] == UInt8(ascii: "\"") else { return nil }
                let out = scratch.base.assumingMemoryBound(to: UInt8.self)
                guard let (end, written) = JSONScanner.unescape(p, i + 1, n, into: out, invalid: &invalid) else {
                    return nil
                }
                message = written
                i = end
            case .realtime:
                guard p[i] == UInt8(ascii: "\""), let end = JSONScanner.skipString(p, i, n) else { return nil }
                var micros: Int64 = 0
                var k = i + 1
                while k < end - 1, Self.isDigit(p[k]), micros < Int64.max / 10_000 {
                    micros = micros * 10 + Int64(p[k] &- 0x30)
                    k += 1
                }
                guard k == end - 1, k > i + 1 else { return nil }
                time = micros * 1000
                i = end
            case .other:
                guard let end = JSONScanner.skipValue(p, i, n) else { return nil }
                i = end
            default:
                guard let end = JSONScanner.skipValue(p, i, n) else { return nil }
                if p[i] == UInt8(ascii: "\"") {
                    let range = (i + 1)..<(end - 1)
                    switch key {
                    case .hostname: hostname = range
                    case .identifier: identifier = range
                    case .pid: pid = range
                    case .comm: comm = range
                    default: unit = range
                    }
                }
                i = end
            }
            i = JSONScanner.skipWhitespace(p, i, n)
            guard i < n else { return nil }
            if p[i] == UInt8(ascii: ",") {
                i = JSONScanner.skipWhitespace(p, i + 1, n)
                continue
            }
            break
        }
        guard i < n, p[i] == UInt8(ascii: "}"), JSONScanner.skipWhitespace(p, i + 1, n) == n,
            let message, time != Timestamp.none
        else { return nil }

        // The key: host, identifier (or command), pid, command, unit, separated by NUL.
        keyScratch.removeSuffix(from: 0)
        keyScratch.makeUnique()
        func append(_ range: Range<Int>?, last: Bool = false) {
            if let range { keyScratch.write(p + range.lowerBound, count: range.count) }
            if !last { keyScratch.write(0) }
        }
        append(hostname)
        append(identifier ?? comm)
        append(pid)
        append(unit, last: true)
        return (
            UnsafeRawBufferPointer(start: scratch.base, count: message), time,
            UnsafeRawBufferPointer(start: keyScratch.base, count: keyScratch.count), invalid
        )
    }

    private static func journalKey(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> JournalKey {
        let key = UnsafeRawBufferPointer(start: p + start, count: end - start)
        switch key.count {
        case 7 where key.elementsEqual("MESSAGE".utf8): return .message
        case 20 where key.elementsEqual("__REALTIME_TIMESTAMP".utf8): return .realtime
        case 9 where key.elementsEqual("_HOSTNAME".utf8): return .hostname
        case 17 where key.elementsEqual("SYSLOG_IDENTIFIER".utf8): return .identifier
        case 4 where key.elementsEqual("_PID".utf8): return .pid
        case 5 where key.elementsEqual("_COMM".utf8): return .comm
        case 13 where key.elementsEqual("_SYSTEMD_UNIT".utf8): return .unit
        default: return .other
        }
    }
}
