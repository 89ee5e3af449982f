import WeftCore
import WeftDecoding

/// A ``LogLine`` with its bytes copied out, so tests can keep and compare it.
struct DecodedLine: Equatable, CustomStringConvertible {
    var source: SourceID
    var stream: LogStream
    var time: Int64
    var text: [UInt8]
    var isPartial: Bool
    var flags: LineFlags

    init(_ line: LogLine) {
        source = line.source
        stream = line.stream
        time = line.time
        text = Array(line.text)
        isPartial = line.isPartial
        flags = line.flags
    }

    var string: String { String(decoding: text, as: UTF8.self) }
    var isMalformed: Bool { flags.contains(.malformed) }

    var description: String {
        "\(stream) \(time == Timestamp.none ? "-" : Timestamp.rfc3339(time)) partial=\(isPartial) "
            + "flags=\(flags.rawValue) \(string.debugDescription)"
    }
}

extension LineDecoder {
    /// Decodes `line` (given as bytes, without its newline) and copies the result.
    mutating func decode(bytes line: [UInt8], flags: LineFlags = []) -> DecodedLine {
        line.withUnsafeBytes { DecodedLine(decode($0, flags: flags)) }
    }

    mutating func decode(_ line: String, flags: LineFlags = []) -> DecodedLine {
        decode(bytes: Array(line.utf8), flags: flags)
    }
}

/// Nanoseconds for an RFC 3339 string the test trusts.
func nanos(_ text: String) -> Int64 {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { RFC3339.parse($0) } ?? Timestamp.none
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
