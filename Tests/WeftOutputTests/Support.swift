import Foundation
import WeftCore
import WeftOutput
import WeftTestSupport

/// Nanoseconds since the epoch for a UTC date and time.
func nanos(
    _ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0, _ second: Int64 = 0,
    fraction: Int64 = 0
) -> Int64 {
    let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
    return ((days * 86_400 + hour * 3600 + minute * 60 + second) * 1_000_000_000) + fraction
}

/// Encodes one record whose body is `body` and returns the output bytes.
func encode(
    body: [UInt8], source: SourceInfo = SourceInfo(path: nil), encoder: inout JSONLinesEncoder,
    _ configure: (inout Record) -> Void = { _ in }
) -> [UInt8] {
    var out: [UInt8] = []
    body.withUnsafeBytes { bytes in
        var record = Record(
            source: 0, stream: .unknown, time: Timestamp.none, observedTime: Timestamp.none, body: bytes,
            lineCount: 1, parser: nil, flushReason: .nextRecord)
        configure(&record)
        encoder.encode(record, source: source, into: &out)
    }
    return out
}

func encode(
    body: [UInt8], source: SourceInfo = SourceInfo(path: nil), format: OutputFormat = .json,
    _ configure: (inout Record) -> Void = { _ in }
) -> [UInt8] {
    var encoder = JSONLinesEncoder(format: format)
    return encode(body: body, source: source, encoder: &encoder, configure)
}

/// The inside of a JSON string for `bytes`, as the encoder writes it.
func escaped(_ bytes: [UInt8]) -> (String, Bool) {
    var out: [UInt8] = []
    let replaced = bytes.withUnsafeBytes { JSONString.appendEscaped($0, to: &out) }
    return (String(decoding: out, as: UTF8.self), replaced)
}

/// Parses one output line with Foundation (tests only), requiring valid UTF-8 and exactly one trailing newline.
func parse(_ line: [UInt8]) -> [String: Any]? {
    guard line.last == 0x0A, line.firstIndex(of: 0x0A) == line.count - 1 else { return nil }
    guard String(validating: line, as: UTF8.self) != nil else { return nil }
    return (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
}
