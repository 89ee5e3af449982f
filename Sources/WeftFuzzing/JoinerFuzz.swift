import WeftCore
import WeftJoin

/// Chunks on two streams of one source, partial or final, with the clock moving and idle runs flushed, through the
/// partial joiner.
///
/// Invariants: no line longer than the bound leaves; on a stream where nothing was cut, the bytes that leave are
/// exactly the bytes that came in, in order (nothing lost, duplicated or invented); where something was cut, no more
/// leaves than came in.
enum JoinerFuzz {
    static let maxLineBytes = 256

    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        var reader = FuzzReader(data)
        var joiner = PartialJoiner(maxLineBytes: maxLineBytes)
        var pushed: [[UInt8]] = [[], []]
        var emitted: [[UInt8]] = [[], []]
        var cut = [false, false]
        var now: Int64 = 0
        var violation: FuzzViolation?
        let collect = { (line: LogLine) in
            let lane = line.stream == .stderr ? 1 : 0
            if line.text.count > maxLineBytes {
                violation = violation ?? FuzzViolation(.joiner, "a line of \(line.text.count) bytes left")
            }
            if line.isPartial { violation = violation ?? FuzzViolation(.joiner, "a partial chunk left the joiner") }
            if line.flags.contains(.truncated) { cut[lane] = true }
            emitted[lane].append(contentsOf: line.text)
        }
        while !reader.isAtEnd, violation == nil {
            let op = reader.byte()
            let lane = Int(op & 1)
            switch (op >> 1) & 3 {
            case 0, 1:
                let chunk = reader.take(reader.uint16() % 300)
                let partial = op & 2 != 0
                pushed[lane].append(contentsOf: chunk)
                chunk.withUnsafeBytes {
                    joiner.push(
                        LogLine(source: 1, stream: lane == 1 ? .stderr : .stdout, text: $0, isPartial: partial),
                        now: now, emit: collect)
                }
            case 2:
                now += Int64(reader.byte())
                joiner.flush(idleSince: now - 100, emit: collect)
            default:
                joiner.finish(source: 1, emit: collect)
            }
        }
        joiner.finish(emit: collect)
        if let violation { throw violation }
        for lane in 0..<2 {
            if cut[lane] {
                try require(emitted[lane].count <= pushed[lane].count, .joiner, "more bytes left than came in")
            } else {
                try require(emitted[lane] == pushed[lane], .joiner, "stream \(lane): bytes out differ from bytes in")
            }
        }
    }
}
