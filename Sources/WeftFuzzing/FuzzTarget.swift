import WeftCore
import WeftDecoding

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The parts of Weft that read untrusted bytes, each as a fuzz target: arbitrary input in, invariants checked.
///
/// A target never trusts its input and never crashes on it; when an invariant does not hold it throws a
/// ``FuzzViolation`` that says which. The libFuzzer driver (`weft-fuzz`, built by `scripts/fuzz.sh`) turns a
/// violation into a crash so the input is kept; `FuzzRegressionTests` replays the seed and regression inputs through
/// the same functions in the ordinary test run.
///
/// ```swift
/// try FuzzTarget.docker.run(bytes)   // throws FuzzViolation when an invariant breaks
/// ```
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Docker json-file lines through the framer and the Docker decoder.
    case docker
    /// CRI lines (containerd, CRI-O) through the framer and the CRI decoder.
    case cri
    /// Arbitrary partial and complete chunks on two streams through the partial joiner: no byte lost or invented.
    case joiner
    /// A rule file: parsed, compiled (bounded), and run on a few lines.
    case rules
    /// Arbitrary line sequences with arbitrary (also backwards) timestamps through every built-in parser: every line
    /// leaves in exactly one record, in order, within the bounds.
    case engine
    /// A configuration file through `weft config check`'s parser.
    case config
    /// Records with arbitrary bodies through the JSON lines, OTLP/JSON and OTLP protobuf encoders: the output always
    /// parses and carries the body's text.
    case encoders
    /// Bytes of any format through the whole pipeline (detection, prefixes, join, multiline) into the JSON lines
    /// encoder, in chunks and at times the input chooses.
    case pipeline

    /// Runs the target on one input.
    public func run(_ data: [UInt8]) throws(FuzzViolation) {
        switch self {
        case .docker: try DecoderFuzz.run(data, format: .docker)
        case .cri: try DecoderFuzz.run(data, format: .cri)
        case .joiner: try JoinerFuzz.run(data)
        case .rules: try RulesFuzz.run(data)
        case .engine: try EngineFuzz.run(data)
        case .config: try ConfigFuzz.run(data)
        case .encoders: try EncoderFuzz.run(data)
        case .pipeline: try PipelineFuzz.run(data)
        }
    }
}

/// An invariant that did not hold for an input: which target, and what went wrong.
public struct FuzzViolation: Error, CustomStringConvertible {
    public var target: FuzzTarget
    public var message: String

    public init(_ target: FuzzTarget, _ message: String) {
        self.target = target
        self.message = message
    }

    public var description: String { "\(target): \(message)" }
}

/// Checks `condition`, throwing a violation of `target` that says `message` when it does not hold.
@inline(__always)
func require(
    _ condition: Bool, _ target: FuzzTarget, _ message: @autoclosure () -> String
) throws(FuzzViolation) {
    if !condition { throw FuzzViolation(target, message()) }
}

/// The `body` of one JSON line, read by Foundation's `JSONDecoder` (the reader independent of Weft's encoder), or nil
/// when the line does not parse as a JSON object with a string `body`.
func jsonLineBody(_ line: some Sequence<UInt8>) -> String? {
    try? JSONDecoder().decode(JSONLine.self, from: Data(line)).body
}

private struct JSONLine: Decodable { var body: String }
