import WeftCore

/// Turns one physical line of a log source into a ``WeftCore/LogLine``: time, stream, content bytes and the runtime's
/// partial-line flag.
///
/// One decoder per source. It works on the framer's bytes without building a `String` or allocating per line: the
/// content of a CRI or plain line, and of a Docker line whose only escape is its final `\n`, is a slice of the input;
/// any other Docker line is unescaped into a buffer the decoder owns and reuses.
///
/// ```swift
/// var decoder = LineDecoder(format: .auto, source: id)
/// framer.feed(bytes) { physical, flags in
///     let line = decoder.decode(physical, flags: flags)
///     let now = clock.now()
///     joiner.push(line, now: now) { engine.push($0, now: now, into: &sink) }
/// }
/// ```
///
/// Decoding never fails. A line that is not valid for the source's format (broken JSON, a CRI line with a missing
/// field, a bad timestamp or stream name, a bad escape) comes back as data: `.malformed` in its flags, the raw
/// physical bytes as text, the best stream known, no time, never partial. The next line is decoded afresh.
///
/// - Important: the returned line's `text` points into `physical` or into the decoder's buffer; it is valid until
///   the next call to ``decode(_:flags:)`` and only while `physical` is.
///
/// A decoder is a value: copies decode independently (the buffer is copied on write), so it can move between tasks.
public struct LineDecoder: @unchecked Sendable {
    // @unchecked because RawBuffer (`scratch`) is not Sendable: its storage is a class that copies share. Every other
    // stored property is a Sendable value. Sharing that storage is safe: the decoder writes its bytes only through
    // `scratchBase(reserving:)`, after `makeUnique()` has given this copy memory of its own (the standard library's
    // copy-on-write discipline), and never reads bytes another copy wrote.

    /// The format this decoder was created for (possibly ``LogFormat/auto``).
    public let format: LogFormat
    /// The source every decoded line is stamped with.
    public let source: SourceID
    /// Lines that came back malformed so far.
    public private(set) var malformedCount: Int = 0
    /// The Docker `attrs` of the most recent line that carried them (labels, env, tag log options), as written.
    ///
    /// Updated only when a line has `attrs`; since they are the same for every line of a container, they are decoded
    /// again only when their raw bytes change (see ``attributesVersion``). Add them to the source's attributes.
    public private(set) var lastAttributes: [(key: String, value: String)] = []
    /// Increases each time ``lastAttributes`` changes, so a caller can notice without comparing them.
    public private(set) var attributesVersion: Int = 0

    /// The format in use; nil while `.auto` has not seen a non-blank line.
    private var decided: LogFormat?
    private var runtimeSeen: ContainerRuntime?
    /// Where `log` values with escapes are unescaped; its memory stays put until the next decode.
    private var scratch = RawBuffer(capacity: 256)
    private var attributesRaw: [UInt8] = []
    var dayCache = RFC3339.DayCache()

    /// Creates a decoder for one source.
    public init(format: LogFormat, source: SourceID) {
        self.format = format
        self.source = source
        switch format {
        case .auto:
            decided = nil
        case .docker:
            decided = .docker
            runtimeSeen = .docker
        case .cri, .plain:
            decided = format
        case .timestamped, .kubectl, .compose, .stern, .journal, .journalJSON:
            decided = .plain  // text to this decoder; the PrefixDecoder takes the prefix apart
        }
    }

    /// The format lines are decoded as.
    ///
    /// For ``LogFormat/auto`` it is decided from the first non-blank line and then sticks for the source: `docker` if
    /// that line is a JSON object with a `log` key (or with `stream` and `time`) that parses, `cri` if it parses as
    /// CRI, `plain` otherwise; nil until then. For the other formats it is the format given.
    public var detectedFormat: LogFormat? { decided }

    /// The runtime that wrote the source, as far as the lines seen so far tell; nil for plain text or undecided.
    ///
    /// `docker` for Docker json-file. For CRI the timestamp style decides: CRI-O (conmon) always writes nine
    /// fractional digits and a numeric offset (`+00:00`), containerd writes Go's `RFC3339Nano`, trailing zeros of the
    /// fraction trimmed, with `Z` on a UTC node. A containerd node in another zone also writes an offset, so a line
    /// with nine digits and an offset is taken as CRI-O until a later line shows a `Z` or fewer digits (one in ten
    /// containerd timestamps has a trailing zero), which settles it as containerd for good.
    public var runtime: ContainerRuntime? { runtimeSeen }

    /// Decodes one physical line (its bytes without the trailing `\n`).
    ///
    /// - Parameters:
    ///   - physical: the line as framed; must stay valid while the returned line is used.
    ///   - flags: what framing already knows (e.g. ``WeftCore/LineFlags/truncated``); kept in the result.
    /// - Returns: the decoded line. Its `text` may point into `physical` or into a buffer owned by the decoder, valid
    ///   until the next call.
    public mutating func decode(_ physical: UnsafeRawBufferPointer, flags: LineFlags) -> LogLine {
        switch decided {
        case .docker:
            return decodeDocker(physical, flags: flags)
        case .cri:
            return decodeCRI(physical, flags: flags)
        case .plain:
            return LogLine(source: source, stream: .unknown, text: physical, flags: flags)
        case .auto, nil, .timestamped, .kubectl, .compose, .stern, .journal, .journalJSON:
            return detectAndDecode(physical, flags: flags)
        }
    }

    private mutating func detectAndDecode(_ physical: UnsafeRawBufferPointer, flags: LineFlags) -> LogLine {
        var first = 0
        while first < physical.count, JSONScanner.isWhitespace(physical[first]) { first += 1 }
        if first == physical.count {
            // Blank lines before the first real one say nothing about the format.
            return LogLine(source: source, stream: .unknown, text: physical, flags: flags)
        }
        if physical[first] == UInt8(ascii: "{") {
            var fields = DockerFields()
            if scanDocker(physical, into: &fields), fields.hasLog || (fields.sawStream && fields.sawTime) {
                decided = .docker
                runtimeSeen = .docker
                return finishDocker(physical, fields, flags: flags)
            }
        }
        if let line = scanCRI(physical, flags: flags) {
            decided = .cri
            return line
        }
        decided = .plain
        return LogLine(source: source, stream: .unknown, text: physical, flags: flags)
    }

    mutating func malformed(_ physical: UnsafeRawBufferPointer, stream: LogStream, flags: LineFlags) -> LogLine {
        malformedCount += 1
        return LogLine(source: source, stream: stream, text: physical, flags: flags.union(.malformed))
    }

    /// Records the timestamp style of a CRI line (see ``runtime``).
    @inline(__always)
    mutating func noteCRITimestamp(fractionDigits: Int, hasNumericOffset: Bool) {
        if runtimeSeen == .containerd { return }
        if hasNumericOffset && fractionDigits == 9 {
            if runtimeSeen == nil { runtimeSeen = .crio }
        } else {
            runtimeSeen = .containerd
        }
    }

    /// The scratch buffer, unshared and at least `count` bytes long.
    @inline(__always)
    mutating func scratchBase(reserving count: Int) -> UnsafeMutableRawPointer {
        scratch.removeSuffix(from: 0)  // the previous line's text is not kept, so growing copies nothing
        scratch.makeUnique()
        scratch.reserve(count)
        return scratch.base
    }

    /// Keeps `attrs` when their raw bytes differ from the last ones seen.
    mutating func noteAttributes(_ raw: UnsafeRawBufferPointer) {
        if raw.count == attributesRaw.count {
            let same = attributesRaw.withUnsafeBytes { old in
                var i = 0
                while i < raw.count, raw[i] == old[i] { i += 1 }
                return i == raw.count
            }
            if same { return }
        }
        attributesRaw = Array(raw)
        lastAttributes = Self.decodeAttributes(raw)
        attributesVersion += 1
    }
}
