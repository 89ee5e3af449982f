import WeftCore

/// Valid UTF-8 from arbitrary bytes, for protobuf strings: each maximal invalid subpart becomes one U+FFFD, by the
/// same rule (``UTF8Bytes/sequenceLength(_:at:end:)``) as ``JSONString`` applies to the JSON lines, so both outputs
/// carry the same text.
///
/// Measuring comes first (a length-delimited field states its length before its contents); copying then is a plain
/// `memcpy` when the bytes were valid. ASCII is skipped eight bytes at a time.
enum UTF8Repair {
    /// The length `bytes` will have once repaired, and whether they were valid (then the length is theirs).
    @inline(__always)
    static func measure(_ bytes: UnsafeRawBufferPointer) -> (count: Int, valid: Bool) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return (0, true) }
        let end = bytes.count
        let start = asciiPrefix(base, end)
        if start == end { return (end, true) }
        return measureRest(base, from: start, end: end)
    }

    @inline(never)
    static func measureRest(_ base: UnsafePointer<UInt8>, from start: Int, end: Int) -> (count: Int, valid: Bool) {
        var index = start
        var count = start
        var valid = true
        while index < end {
            if base[index] < 0x80 {
                let run = asciiPrefix(base + index, end - index)
                index += run
                count += run
                continue
            }
            let length = UTF8Bytes.sequenceLength(base, at: index, end: end)
            if length > 0 {
                index += length
                count += length
            } else {
                index -= length
                count += 3
                valid = false
            }
        }
        return (count, valid)
    }

    /// Copies `bytes` to `destination`, replacing invalid subparts; returns the bytes written (as measured).
    static func copyRepairing(_ bytes: UnsafeRawBufferPointer, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let end = bytes.count
        var index = 0
        var out = destination
        while index < end {
            if base[index] < 0x80 {
                let run = asciiPrefix(base + index, end - index)
                out.update(from: base + index, count: run)
                out += run
                index += run
                continue
            }
            let length = UTF8Bytes.sequenceLength(base, at: index, end: end)
            if length > 0 {
                out.update(from: base + index, count: length)
                out += length
                index += length
            } else {
                out[0] = 0xEF
                out[1] = 0xBF
                out[2] = 0xBD
                out += 3
                index -= length
            }
        }
        return out - destination
    }

    /// How many bytes from `base` are ASCII (below 0x80), at most `count`.
    @inline(__always)
    static func asciiPrefix(_ base: UnsafePointer<UInt8>, _ count: Int) -> Int {
        let raw = UnsafeRawPointer(base)
        let high: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index &+ 32 <= count {
            let a = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let b = raw.loadUnaligned(fromByteOffset: index &+ 8, as: UInt64.self)
            let c = raw.loadUnaligned(fromByteOffset: index &+ 16, as: UInt64.self)
            let d = raw.loadUnaligned(fromByteOffset: index &+ 24, as: UInt64.self)
            if (a | b | c | d) & high != 0 { break }
            index &+= 32
        }
        while index &+ 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & high
            if word != 0 { return index &+ UInt64(littleEndian: word).trailingZeroBitCount / 8 }
            index &+= 8
        }
        while index < count && base[index] < 0x80 { index &+= 1 }
        return index
    }
}
