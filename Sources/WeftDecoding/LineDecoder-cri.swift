import WeftCore

// CRI (containerd, CRI-O): `<RFC 3339 time> <stdout|stderr> <tags> <content>`, one space between fields. Tags are
// split on `:` and only the first is defined: `P` (partial, more follows) or `F` (full, or the last part). The content
// is every byte after the space that ends the tags, `\r` included; it may be empty, and the space before it may be
// missing too (`... stdout F`), which the kubelet rejects but costs nothing to accept.

extension LineDecoder {
    mutating func decodeCRI(_ physical: UnsafeRawBufferPointer, flags: LineFlags) -> LogLine {
        if let line = scanCRI(physical, flags: flags) { return line }
        return malformed(physical, stream: Self.criStreamGuess(physical), flags: flags)
    }

    /// The line if `physical` is a valid CRI line, else nil.
    @inline(__always)
    mutating func scanCRI(_ physical: UnsafeRawBufferPointer, flags: LineFlags) -> LogLine? {
        let n = physical.count
        // "YYYY-MM-DDTHH:MM:SSZ stdout F" is the shortest line.
        guard n >= 29, let raw = physical.baseAddress else { return nil }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        let space = UInt8(ascii: " ")

        var timeEnd = 20
        while timeEnd < n, p[timeEnd] != space { timeEnd += 1 }
        guard timeEnd + 9 <= n,
            let time = RFC3339.parseDetailed(UnsafeRawBufferPointer(start: p, count: timeEnd), cache: &dayCache)
        else { return nil }

        let streamStart = timeEnd + 1
        let stream = Self.streamNamed(p, streamStart, streamStart + 6)
        guard stream != .unknown, p[streamStart + 6] == space else { return nil }

        let tagStart = streamStart + 7
        var tagEnd = tagStart
        while tagEnd < n, p[tagEnd] != space { tagEnd += 1 }
        // The first tag is the text before the first `:`; later tags are for forward compatibility.
        guard tagStart < tagEnd, tagStart + 1 == tagEnd || p[tagStart + 1] == UInt8(ascii: ":") else { return nil }
        let isPartial: Bool
        switch p[tagStart] {
        case UInt8(ascii: "P"): isPartial = true
        case UInt8(ascii: "F"): isPartial = false
        default: return nil
        }

        noteCRITimestamp(fractionDigits: time.fractionDigits, hasNumericOffset: time.hasNumericOffset)
        let contentStart = Swift.min(tagEnd + 1, n)
        return LogLine(
            source: source, stream: stream, time: time.nanos,
            text: UnsafeRawBufferPointer(start: p + contentStart, count: n - contentStart),
            isPartial: isPartial, flags: flags)
    }

    /// The stream of a malformed CRI line, when its second field names one.
    static func criStreamGuess(_ physical: UnsafeRawBufferPointer) -> LogStream {
        guard let raw = physical.baseAddress else { return .unknown }
        let p = raw.assumingMemoryBound(to: UInt8.self)
        let n = physical.count
        var i = 0
        while i < n, p[i] != UInt8(ascii: " ") { i += 1 }
        guard i + 7 <= n, i + 7 == n || p[i + 7] == UInt8(ascii: " ") else { return .unknown }
        return streamNamed(p, i + 1, i + 7)
    }
}
