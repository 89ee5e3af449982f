import WeftCore
import WeftDecoding
import WeftFraming

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Docker and CRI lines through the framer and the decoder.
///
/// Besides not crashing: a decoded line's text never outgrows its physical line plus nothing invented; a CRI line's
/// content is exactly the physical line's tail; and a Docker line that Foundation's `JSONDecoder` also reads carries
/// the same `log` text (a second, independent JSON reader as the oracle for the hand-written scanner).
enum DecoderFuzz {
    private struct DockerLine: Decodable { var log: String }

    static func run(_ data: [UInt8], format: LogFormat) throws(FuzzViolation) {
        let target: FuzzTarget = format == .docker ? .docker : .cri
        var framer = LineFramer(maxLineBytes: 4096)
        var decoder = LineDecoder(format: format, source: 1)
        var violation: FuzzViolation?
        let check = { (physical: UnsafeRawBufferPointer, flags: LineFlags) in
            guard violation == nil else { return }
            let line = decoder.decode(physical, flags: flags)
            do throws(FuzzViolation) {
                try verify(line, physical: physical, format: format, target: target)
            } catch {
                violation = error
            }
        }
        data.withUnsafeBytes { framer.feed($0, emit: check) }
        framer.finish(emit: check)
        if let violation { throw violation }
    }

    private static func verify(
        _ line: LogLine, physical: UnsafeRawBufferPointer, format: LogFormat, target: FuzzTarget
    ) throws(FuzzViolation) {
        try require(line.source == 1, target, "the line lost its source")
        if line.flags.contains(.malformed) {
            try require(
                Array(line.text) == Array(physical), target, "a malformed line must pass on its raw bytes")
            return
        }
        // CRI names the stream in every line; Docker's decoder takes a line without a `stream` key as unknown.
        try require(format != .cri || line.stream != .unknown, target, "a well-formed CRI line has a stream")
        try require(line.text.count <= physical.count, target, "decoded text longer than its line")
        switch format {
        case .cri:
            let tail = physical.count - line.text.count
            try require(
                Array(line.text) == Array(physical[tail...]), target, "CRI content is not the line's tail")
        default:
            let bytes = Array(physical)
            // Duplicate keys are read differently by different JSON readers (first or last wins), so the oracle only
            // speaks for lines with one literal `"log"` key and no escaped ASCII letters that could spell another.
            guard occurrences(of: Array("\"log\"".utf8), in: bytes) == 1, !escapesASCIILetter(bytes),
                let oracle = try? JSONDecoder().decode(DockerLine.self, from: Data(bytes))
            else { return }
            var expected = Array(oracle.log.utf8)
            let ended = expected.last == 0x0A
            if ended { expected.removeLast() }
            try require(line.isPartial == !ended, target, "a log without a trailing newline is a partial chunk")
            try require(
                Array(line.text) == expected, target,
                "log text \(String(decoding: line.text, as: UTF8.self).debugDescription) differs from "
                    + "JSONDecoder's \(oracle.log.debugDescription)")
        }
    }

    private static func occurrences(of needle: [UInt8], in bytes: [UInt8]) -> Int {
        guard bytes.count >= needle.count else { return 0 }
        var count = 0
        for start in 0...(bytes.count - needle.count) where bytes[start..<start + needle.count].elementsEqual(needle) {
            count += 1
        }
        return count
    }

    /// `\u0041`…`\u007A`: an escape that could spell a key's letters.
    private static func escapesASCIILetter(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 6 else { return false }
        for start in 0...(bytes.count - 6)
        where bytes[start] == 0x5C && bytes[start + 1] == 0x75 && bytes[start + 2] == 0x30
            && bytes[start + 3] == 0x30 && (0x34...0x37).contains(bytes[start + 4])
        {
            return true
        }
        return false
    }
}
