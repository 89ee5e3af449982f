import WeftCore

/// A record's severity in OpenTelemetry's terms (`severity_number`, `severity_text`), read from its first line.
///
/// Weft's parsers merge lines; they do not parse log levels. The level is taken from the first line of the record,
/// looking only at its first ``scanLimit`` bytes, by the first of these rules that applies:
///
/// 1. **klog** (Kubernetes components): the line starts with `I`, `W`, `E` or `F`, four digits and a space
///    (`E0314 09:00:01.123456 …`): INFO, WARN, ERROR, FATAL.
/// 2. **Ruby Logger**: the line starts with `D, [`, `I, [`, `W, [`, `E, [` or `F, [`: DEBUG, INFO, WARN, ERROR, FATAL.
/// 3. **A level word** among the first ``wordLimit`` words of the line, a word being a run of ASCII letters between
///    characters that are neither letters, digits nor `_` (so `2026-03-14 09:00:01,123 ERROR [main]`, `[ERROR]`,
///    `billing.WARNING:`, `|ERROR|`, `ERROR:root:` and `[06:10:01 ERR]` all count, and `ERROR_CODE` or `29T06` do
///    not). The word is matched in capitals (`ERROR`) or capitalised (`Error`), never in lower case, which is how
///    prose says "error":
///
///    | words | severity_number |
///    | --- | --- |
///    | `TRACE` | 1 TRACE |
///    | `DEBUG`, `DBG` | 5 DEBUG |
///    | `INFO`, `INF` | 9 INFO |
///    | `NOTICE` | 10 INFO2 |
///    | `WARN`, `WARNING`, `WRN` | 13 WARN |
///    | `ERROR`, `ERR`, `SEVERE` | 17 ERROR |
///    | `FATAL`, `FTL`, `CRITICAL`, `CRIT`, `PANIC` | 21 FATAL |
///
/// 4. **A trace without a level**: a record a parser merged (`weft.parser` is set: a Go panic, a Python traceback, a
///    Java exception) whose first line names no level is an ERROR. An uncaught exception is an error even when the
///    runtime prints no level; a caught one logged at another level says so on its first line, and rule 3 wins.
/// 5. Otherwise the severity is unknown: `severity_number` 0 (UNSPECIFIED), no `severity_text`.
///
/// `severity_text` is the word as the line writes it (`WARNING`, `Error`, `ERR`) for rule 3, the level's name
/// (`ERROR`) for rules 1 and 2, and absent for rule 4.
///
/// ```swift
/// let severity = Array("2026-03-14 09:00:01 WARN disk almost full".utf8).withUnsafeBytes {
///     Severity.detect(in: $0, mergedByParser: false)
/// }
/// // severity?.number == 13, severity?.text == "WARN"
/// ```
public struct Severity: Sendable, Equatable, CustomStringConvertible {
    /// OpenTelemetry's `SeverityNumber` (1...24), never 0.
    public var number: Int
    /// `severity_text`, or nil.
    public var text: String?

    /// Bytes of the first line looked at.
    public static let scanLimit = 128
    /// Words of the first line looked at.
    public static let wordLimit = 4

    public static let trace = 1
    public static let debug = 5
    public static let info = 9
    public static let info2 = 10
    public static let warn = 13
    public static let error = 17
    public static let fatal = 21

    public init(number: Int, text: String?) {
        self.number = number
        self.text = text
    }

    public var description: String { "\(number)\(text.map { " \($0)" } ?? "")" }

    /// The severity of a record with `body`; `mergedByParser` when its `parser` is set. Nil when unknown.
    public static func detect(in body: UnsafeRawBufferPointer, mergedByParser: Bool) -> Severity? {
        let match = Match(body, mergedByParser: mergedByParser)
        guard match.number != 0 else { return nil }
        return Severity(
            number: Int(match.number),
            text: match.text.count == 0 ? nil : String(decoding: match.text, as: UTF8.self)
        )
    }

    /// What the encoders use: the number, and the text's bytes (in the body, or a level's static name).
    struct Match {
        var number: UInt8
        var text: UnsafeRawBufferPointer

        @inline(__always)
        init(number: UInt8, text: UnsafeRawBufferPointer) {
            self.number = number
            self.text = text
        }

        @inline(__always)
        init(number: UInt8, name: StaticString) {
            self.number = number
            text = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        }

        static var none: Match { Match(number: 0, text: UnsafeRawBufferPointer(start: nil, count: 0)) }

        init(_ body: UnsafeRawBufferPointer, mergedByParser: Bool) {
            self = Self.find(body)
            if number == 0 && mergedByParser {
                self = Match(number: UInt8(Severity.error), text: .init(start: nil, count: 0))
            }
        }

        static func find(_ body: UnsafeRawBufferPointer) -> Match {
            guard let base = body.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return .none }
            let end = Swift.min(body.count, Severity.scanLimit)
            if end >= 4, let level = letterLevel(base[0]) {
                if base[1] == UInt8(ascii: ","), base[2] == UInt8(ascii: " "), base[3] == UInt8(ascii: "[") {
                    return level  // Ruby Logger
                }
                if end >= 6, base[0] != UInt8(ascii: "D"), isDigit(base[1]), isDigit(base[2]), isDigit(base[3]),
                    isDigit(base[4]), base[5] == UInt8(ascii: " ")
                {
                    return level  // klog
                }
            }
            // Byte classes from a table (see `classes`): one load and a test a byte.
            let classes = Self.classes.utf8Start
            var index = 0
            var words = 0
            while index < end && words < Severity.wordLimit {
                var kind = classes[Int(base[index])] &- 0x30
                if kind == newline { break }
                guard kind != separator else {
                    index &+= 1
                    continue
                }
                // A token: letters, digits and `_`; a word if it is letters only.
                let start = index
                var kinds: UInt8 = 0
                repeat {
                    kinds |= kind
                    index &+= 1
                    guard index < end else { break }
                    kind = classes[Int(base[index])] &- 0x30
                } while kind & (upper | lower | digit) != 0
                guard kinds & digit == 0 else { continue }
                words &+= 1
                let number = levelWord(base + start, index &- start, classes)
                if number != 0 {
                    return Match(
                        number: number, text: UnsafeRawBufferPointer(start: base + start, count: index - start))
                }
            }
            return .none
        }

        /// The class of each byte value, as a digit: `upper`, `lower`, `digit` (digits and `_`), `newline`, or
        /// `separator` (0).
        static let classes: StaticString = """
            0000000000800000000000000000000000000000000000004444444444000000\
            0111111111111111111111111110000402222222222222222222222222200000\
            0000000000000000000000000000000000000000000000000000000000000000\
            0000000000000000000000000000000000000000000000000000000000000000
            """
        static var separator: UInt8 { 0 }
        static var upper: UInt8 { 1 }
        static var lower: UInt8 { 2 }
        static var digit: UInt8 { 4 }
        static var newline: UInt8 { 8 }

        @inline(__always)
        static func letterLevel(_ byte: UInt8) -> Match? {
            switch byte {
            case UInt8(ascii: "D"): Match(number: UInt8(Severity.debug), name: "DEBUG")
            case UInt8(ascii: "I"): Match(number: UInt8(Severity.info), name: "INFO")
            case UInt8(ascii: "W"): Match(number: UInt8(Severity.warn), name: "WARN")
            case UInt8(ascii: "E"): Match(number: UInt8(Severity.error), name: "ERROR")
            case UInt8(ascii: "F"): Match(number: UInt8(Severity.fatal), name: "FATAL")
            default: nil
            }
        }

        /// The level a word of letters names, or 0: in capitals, or a capital then lower case.
        @inline(__always)
        static func levelWord(_ word: UnsafePointer<UInt8>, _ count: Int, _ classes: UnsafePointer<UInt8>) -> UInt8 {
            guard count >= 3 && count <= 8, classes[Int(word[0])] &- 0x30 == upper else { return 0 }
            // Packed in capitals, first letter in the low byte; the letters after the first all of one case.
            var key = UInt64(word[0])
            var kinds: UInt8 = 0
            for offset in 1..<count {
                kinds |= classes[Int(word[offset])] &- 0x30
                key |= UInt64(word[offset] & 0xDF) << (8 &* UInt64(offset))
            }
            guard kinds == upper || kinds == lower else { return 0 }
            let number: Int =
                switch key {
                case 0x45_4341_5254: Severity.trace  // TRACE
                case 0x47_5542_4544: Severity.debug  // DEBUG
                case 0x47_4244: Severity.debug  // DBG
                case 0x4F46_4E49: Severity.info  // INFO
                case 0x46_4E49: Severity.info  // INF
                case 0x4543_4954_4F4E: Severity.info2  // NOTICE
                case 0x4E52_4157: Severity.warn  // WARN
                case 0x47_4E49_4E52_4157: Severity.warn  // WARNING
                case 0x4E_5257: Severity.warn  // WRN
                case 0x52_4F52_5245: Severity.error  // ERROR
                case 0x52_5245: Severity.error  // ERR
                case 0x4552_4556_4553: Severity.error  // SEVERE
                case 0x4C_4154_4146: Severity.fatal  // FATAL
                case 0x4C_5446: Severity.fatal  // FTL
                case 0x4C41_4349_5449_5243: Severity.fatal  // CRITICAL
                case 0x5449_5243: Severity.fatal  // CRIT
                case 0x43_494E_4150: Severity.fatal  // PANIC
                default: 0
                }
            return UInt8(number)
        }

        @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
    }
}
