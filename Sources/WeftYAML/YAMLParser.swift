import CYAML

/// Parses one YAML document into ``YAMLNode``s with libyaml's event API, keeping every node's place.
///
/// Rule files and configurations come from users and from ConfigMaps, so the parser is bounded: the text's size,
/// the nesting depth and the number of nodes, aliases counted as the copies they stand for (a "billion laughs"
/// document of nested aliases is refused after ``Limits/maxNodes`` nodes instead of being expanded). Aliases are
/// resolved to a copy of their anchor's node; an alias to an anchor not yet complete (a cycle) is undefined.
/// A stream of more than one document is refused, and so is a mapping that repeats a scalar key.
public struct YAMLParser: Sendable {
    public struct Limits: Sendable, Equatable {
        /// The text's size in UTF-8 bytes.
        public var maxBytes: Int
        /// Sequences and mappings inside each other.
        public var maxDepth: Int
        /// Nodes in the document, with each alias counted as every node it stands for.
        public var maxNodes: Int

        /// Far above any configuration or rule file (Weft's largest built-in rule file is a few kilobytes), far
        /// below what would hurt.
        public init(maxBytes: Int = 1 << 20, maxDepth: Int = 64, maxNodes: Int = 100_000) {
            self.maxBytes = maxBytes
            self.maxDepth = maxDepth
            self.maxNodes = maxNodes
        }
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The document's root node, or nil when the text holds no document (empty, or only comments).
    public func parse(_ text: String) throws(YAMLError) -> YAMLNode? {
        let bytes = Array(text.utf8)
        guard bytes.count <= limits.maxBytes else {
            throw YAMLError(
                .limit, problem: "the document is \(bytes.count) bytes, more than the limit of \(limits.maxBytes)",
                mark: YAMLMark(line: 1, column: 1))
        }
        let composer = Composer(bytes: bytes, limits: limits)
        defer { composer.close() }
        return try composer.document()
    }
}

/// One parse: libyaml's parser over the bytes (which it reads in place), the anchors seen so far and the counts
/// the limits bound.
private final class Composer {
    let bytes: UnsafeMutableBufferPointer<UInt8>
    let parser: UnsafeMutablePointer<yaml_parser_t>
    let limits: YAMLParser.Limits
    var anchors: [String: (node: YAMLNode, weight: Int)] = [:]
    var nodes = 0
    var depth = 0

    init(bytes: [UInt8], limits: YAMLParser.Limits) {
        self.bytes = .allocate(capacity: max(bytes.count, 1))
        _ = self.bytes.initialize(from: bytes)
        self.limits = limits
        parser = .allocate(capacity: 1)
        // Fails only when it cannot allocate its buffers; the first parse then reports a memory error.
        _ = yaml_parser_initialize(parser)
        yaml_parser_set_input_string(parser, self.bytes.baseAddress, bytes.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    }

    func close() {
        yaml_parser_delete(parser)
        parser.deallocate()
        bytes.deallocate()
    }

    /// What the composer needs of a libyaml event, copied out so that the C event can be freed at once.
    enum Event {
        case streamStart, streamEnd, documentEnd, sequenceEnd, mappingEnd
        case documentStart(YAMLMark)
        case alias(String, YAMLMark)
        case scalar(YAMLScalar, anchor: String?, tag: String?, YAMLMark)
        case sequenceStart(anchor: String?, tag: String?, YAMLMark)
        case mappingStart(anchor: String?, tag: String?, YAMLMark)
    }

    func document() throws(YAMLError) -> YAMLNode? {
        guard case .streamStart = try next() else { throw unexpected() }
        let first = try next()
        if case .streamEnd = first { return nil }
        guard case .documentStart = first else { throw unexpected() }
        let (root, _) = try node(from: try next())
        guard case .documentEnd = try next() else { throw unexpected() }
        switch try next() {
        case .streamEnd: return root
        case .documentStart(let mark):
            throw YAMLError(
                .structure, problem: "expected a single document, but found another document", mark: mark)
        default: throw unexpected()
        }
    }

    /// The node an event starts, read to its end, and its weight: how many nodes it stands for.
    func node(from event: Event) throws(YAMLError) -> (YAMLNode, Int) {
        switch event {
        case .alias(let name, let mark):
            guard let anchored = anchors[name] else {
                throw YAMLError(.structure, problem: "found undefined alias '\(name)'", mark: mark)
            }
            try count(anchored.weight, at: mark)
            return anchored
        case .scalar(let scalar, let anchor, let tag, let mark):
            try count(1, at: mark)
            return register(YAMLNode(.scalar(scalar), mark: mark, tag: tag), weight: 1, as: anchor)
        case .sequenceStart(let anchor, let tag, let mark):
            try enter(at: mark)
            var items: [YAMLNode] = []
            var weight = 1
            while true {
                let next = try next()
                if case .sequenceEnd = next { break }
                let (item, itemWeight) = try node(from: next)
                items.append(item)
                weight += itemWeight
            }
            depth -= 1
            return register(YAMLNode(.sequence(items), mark: mark, tag: tag), weight: weight, as: anchor)
        case .mappingStart(let anchor, let tag, let mark):
            try enter(at: mark)
            var mapping = YAMLMapping()
            var weight = 1
            while true {
                let next = try next()
                if case .mappingEnd = next { break }
                let (key, keyWeight) = try node(from: next)
                if let text = key.string, let earlier = mapping.keys.first(where: { $0.string == text }) {
                    throw YAMLError(
                        .structure, problem: "duplicate key '\(text)' (first at \(earlier.mark))", mark: key.mark)
                }
                let (value, valueWeight) = try node(from: try self.next())
                mapping.append(key: key, value: value)
                weight += keyWeight + valueWeight
            }
            depth -= 1
            return register(YAMLNode(.mapping(mapping), mark: mark, tag: tag), weight: weight, as: anchor)
        default:
            throw unexpected()
        }
    }

    func register(_ node: YAMLNode, weight: Int, as anchor: String?) -> (YAMLNode, Int) {
        if let anchor { anchors[anchor] = (node, weight) }
        return (node, weight)
    }

    func count(_ weight: Int, at mark: YAMLMark) throws(YAMLError) {
        nodes += weight
        guard nodes <= limits.maxNodes else {
            throw YAMLError(
                .limit, problem: "more than \(limits.maxNodes) nodes (aliases count as the nodes they repeat)",
                mark: mark)
        }
    }

    func enter(at mark: YAMLMark) throws(YAMLError) {
        depth += 1
        guard depth <= limits.maxDepth else {
            throw YAMLError(.limit, problem: "nested deeper than \(limits.maxDepth) levels", mark: mark)
        }
        try count(1, at: mark)
    }

    func unexpected() -> YAMLError {
        // libyaml's event grammar rules this out; reported rather than trapped, as the input is untrusted.
        YAMLError(.structure, problem: "unexpected event from libyaml", mark: YAMLMark(line: 1, column: 1))
    }

    func next() throws(YAMLError) -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw parseError() }
        defer { yaml_event_delete(&event) }
        let mark = Self.mark(event.start_mark)
        switch event.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart(mark)
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT: return .alias(Self.string(event.data.alias.anchor) ?? "", mark)
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
            let style: YAMLScalar.Style
            switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            return .scalar(
                YAMLScalar(text, style: style), anchor: Self.string(data.anchor), tag: Self.string(data.tag), mark)
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            return .sequenceStart(anchor: Self.string(data.anchor), tag: Self.string(data.tag), mark)
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            return .mappingStart(anchor: Self.string(data.anchor), tag: Self.string(data.tag), mark)
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        default: throw unexpected()
        }
    }

    /// libyaml's error, with its words and its marks (zero-based there, one-based here).
    func parseError() -> YAMLError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unknown error"
        switch state.error {
        case YAML_MEMORY_ERROR:
            return YAMLError(.limit, problem: "out of memory", mark: YAMLMark(line: 1, column: 1))
        case YAML_READER_ERROR:
            // The reader reports a byte offset only (a control character, or bytes that are not UTF-8).
            return YAMLError(.syntax, problem: problem, mark: markOfOffset(state.problem_offset))
        default:
            return YAMLError(
                .syntax, problem: problem, mark: Self.mark(state.problem_mark),
                context: state.context.map { String(cString: $0) },
                contextMark: state.context == nil ? nil : Self.mark(state.context_mark))
        }
    }

    func markOfOffset(_ offset: Int) -> YAMLMark {
        let before = bytes.prefix(min(offset, bytes.count))
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let line = before.count { $0 == UInt8(ascii: "\n") } + 1
        // Characters, not bytes: count the bytes that start a UTF-8 sequence.
        let column = before[lineStart...].count { $0 & 0xC0 != 0x80 } + 1
        return YAMLMark(line: line, column: column)
    }

    static func mark(_ mark: yaml_mark_t) -> YAMLMark {
        YAMLMark(line: mark.line + 1, column: mark.column + 1)
    }

    static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
