import WeftCore
import WeftTestSupport

/// Writes lines the way the container runtimes write them (formats.md; moby's copier and json-file encoder,
/// containerd's CRI logger, conmon), independently of the decoder, to serve as the oracle of the property test.
///
/// Each renderer takes one stream's output — its lines, and whether the last one ended with a newline — and returns
/// the physical lines it writes for that stream (in order) and the lines a reader must get back, with their times.
enum RuntimeRenderer {
    struct Expected: Equatable {
        var text: [UInt8]
        var time: Int64
    }

    struct Output {
        var physical: [[UInt8]] = []
        var expected: [Expected] = []
    }

    /// Produces strictly increasing timestamps.
    struct Clock {
        var now: Int64
        var rng: SplitMix64

        mutating func next() -> Int64 {
            // Sometimes a whole second (no fraction at all), sometimes a fraction with trailing zeros.
            switch rng.next() % 4 {
            case 0: now = (now / 1_000_000_000 + 1) * 1_000_000_000
            case 1: now += Int64(rng.next() % 1000 + 1) * 1_000_000
            default: now += Int64(rng.next() % 999_999_999 + 1)
            }
            return now
        }
    }

    static let dockerChunk = 16 * 1024
    static let containerdMax = 16384
    static let conmonBuffer = 8192

    // MARK: Docker json-file

    static func docker(
        _ lines: [[UInt8]], endsWithNewline: Bool, stream: LogStream, attrs: String?, clock: inout Clock
    ) -> Output {
        var out = Output()
        for (index, line) in lines.enumerated() {
            let terminated = index < lines.count - 1 || endsWithNewline
            var pieces: [ArraySlice<UInt8>] = stride(from: 0, to: line.count, by: dockerChunk).map {
                line[$0..<min($0 + dockerChunk, line.count)]
            }
            // The copier cuts a full 16 KiB buffer without a newline as a partial; the newline then ends an empty
            // message. A stream that ends without newline leaves its last chunk partial.
            if terminated && (pieces.isEmpty || pieces.last!.count == dockerChunk) { pieces.append([]) }
            if pieces.isEmpty { continue }
            let time = clock.next()
            var expected: [UInt8] = []
            for (k, piece) in pieces.enumerated() {
                var log = Array(piece)
                expected += GoJSON.sanitized(log)
                if terminated && k == pieces.count - 1 { log.append(0x0A) }
                var json = Array("{\"log\":".utf8)
                json += GoJSON.quoted(log)
                json += Array(",\"stream\":\"\(stream)\"".utf8)
                if let attrs { json += Array(",\"attrs\":\(attrs)".utf8) }
                json += Array(",\"time\":\"\(rfc3339Nano(time))\"}".utf8)
                out.physical.append(json)
            }
            out.expected.append(Expected(text: expected, time: time))
        }
        return out
    }

    // MARK: containerd

    /// containerd's CRI logger: a line over 16384 bytes becomes exact 16384-byte `P` chunks then an `F`; every chunk
    /// has its own timestamp (Go `RFC3339Nano`, `Z` on a UTC node). Its line reader drops the `\r` of a `\r\n`.
    static func containerd(
        _ lines: [[UInt8]], endsWithNewline: Bool, stream: LogStream, clock: inout Clock
    ) -> Output {
        var out = Output()
        for (index, original) in lines.enumerated() {
            let terminated = index < lines.count - 1 || endsWithNewline
            var line = original
            if terminated && line.last == 0x0D { line.removeLast() }
            if !terminated && line.isEmpty { continue }
            var rest = line[...]
            var first: Int64? = nil
            while true {
                let time = clock.next()
                if first == nil { first = time }
                let last = rest.count <= containerdMax
                let piece = last ? rest : rest.prefix(containerdMax)
                let tag = last && terminated ? "F" : "P"
                out.physical.append(Array("\(rfc3339Nano(time)) \(stream) \(tag) ".utf8) + piece)
                if last { break }
                rest = rest.dropFirst(containerdMax)
            }
            out.expected.append(Expected(text: line, time: first!))
        }
        return out
    }

    // MARK: CRI-O (conmon)

    /// conmon: the stream is read in buffers of at most 8192 bytes (`reads` gives their sizes); in each read every
    /// newline-terminated piece is an `F` line and a trailing piece without newline a `P` line; all lines of one read
    /// share one timestamp, nine fractional digits and a numeric offset.
    static func crio(
        _ lines: [[UInt8]], endsWithNewline: Bool, stream: LogStream, offsetMinutes: Int, clock: inout Clock,
        rng: inout SplitMix64
    ) -> Output {
        var data: [UInt8] = []
        var starts: [Int] = []
        for (index, line) in lines.enumerated() {
            let terminated = index < lines.count - 1 || endsWithNewline
            if !terminated && line.isEmpty { continue }
            starts.append(data.count)
            data += line
            if terminated { data.append(0x0A) }
        }
        var out = Output()
        var lineTimes: [Int64] = []
        var position = 0
        var nextStart = 0
        while position < data.count {
            let size = Int(rng.next() % UInt64(conmonBuffer)) + 1
            let end = min(position + size, data.count)
            let time = clock.next()
            while nextStart < starts.count && starts[nextStart] < end {
                lineTimes.append(time)
                nextStart += 1
            }
            var i = position
            while i < end {
                var j = i
                while j < end && data[j] != 0x0A { j += 1 }
                let tag = j < end ? "F" : "P"
                out.physical.append(
                    Array("\(rfc3339Fixed(time, offsetMinutes: offsetMinutes)) \(stream) \(tag) ".utf8) + data[i..<j])
                i = j < end ? j + 1 : j
            }
            position = end
        }
        var lineIndex = 0
        for (index, line) in lines.enumerated() {
            let terminated = index < lines.count - 1 || endsWithNewline
            if !terminated && line.isEmpty { continue }
            out.expected.append(Expected(text: line, time: lineTimes[lineIndex]))
            lineIndex += 1
        }
        return out
    }

    // MARK: Timestamps

    /// Go's `RFC3339Nano` in UTC: `Z`, trailing zeros of the fraction dropped (and the dot with them).
    static func rfc3339Nano(_ nanos: Int64) -> String {
        var text = Timestamp.rfc3339(nanos)
        text.removeLast()
        while text.last == "0" { text.removeLast() }
        if text.last == "." { text.removeLast() }
        return text + "Z"
    }

    /// conmon's style: local time with nine fractional digits and a numeric offset.
    static func rfc3339Fixed(_ nanos: Int64, offsetMinutes: Int) -> String {
        var text = Timestamp.rfc3339(nanos + Int64(offsetMinutes) * 60_000_000_000)
        text.removeLast()
        let sign = offsetMinutes < 0 ? "-" : "+"
        let magnitude = abs(offsetMinutes)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return text + sign + two(magnitude / 60) + ":" + two(magnitude % 60)
    }
}
