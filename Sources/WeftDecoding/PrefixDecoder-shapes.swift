import WeftCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// The line shapes of the prefixed formats, as the tools print them:
//
// - kubectl (staging/src/k8s.io/kubectl/pkg/cmd/logs/logs.go, `addPrefixIfNeeded`): `[pod/NAME/CONTAINER] ` before
//   each line with `--prefix`. Its `--timestamps` asks the kubelet, which puts the entry's time before the content
//   as `2006-01-02T15:04:05.000000000Z07:00` and a space (pkg/kubelet/kuberuntime/logs/logs.go, `timeFormatOut`:
//   nine digits, always). `docker logs -t` writes moby's `jsonmessage.RFC3339NanoFixed`, the same layout.
// - docker compose (cmd/formatter/logs.go, `presenter.setPrefix`): `fmt.Sprintf("%-*s | ", width, name)` where
//   width is the longest container name seen plus one, so at least one space pads the name; `-t` puts an
//   `RFC3339NanoFixed` time and a space after the prefix. Colours only on a terminal or with `--ansi always`.
// - stern (its default template `{{color .PodColor .PodName}} {{color .ContainerColor .ContainerName}} {{.Message}}`):
//   pod, space, container, space; `--timestamps` puts the kubelet's time and a space before the message. Colours
//   only on a terminal or with `--color always`.
// - journalctl (`short`, `short-precise`, `short-iso`, `short-iso-precise`; and syslog files): time, host,
//   `IDENT[PID]: ` (or `IDENT: ` when there is no pid, as for the kernel).

/// The shapes a line has (detection keeps those every line had).
struct Shapes: OptionSet {
    let rawValue: UInt8
    static let kubectl = Shapes(rawValue: 1 << 0)
    static let journalJSON = Shapes(rawValue: 1 << 1)
    static let journal = Shapes(rawValue: 1 << 2)
    static let compose = Shapes(rawValue: 1 << 3)
    static let stern = Shapes(rawValue: 1 << 4)
    static let timestamped = Shapes(rawValue: 1 << 5)
    /// An exact `RFC3339Nano` time follows the prefix.
    static let timestampAfterPrefix = Shapes(rawValue: 1 << 6)

    /// Shapes no plain log has by chance: one line decides them.
    static let unambiguous: Shapes = [.kubectl, .journalJSON]

    /// The format these shapes decide, most specific first.
    var format: LogFormat {
        if contains(.kubectl) { return .kubectl }
        if contains(.journalJSON) { return .journalJSON }
        if contains(.journal) { return .journal }
        if contains(.compose) { return .compose }
        if contains(.stern) { return .stern }
        return .timestamped
    }
}

/// Where the parts of a prefixed line are.
struct PrefixCut {
    /// Index of the first byte of the content.
    var content: Int
    var time: Int64
    /// The bytes that name the prefix stream, or nil.
    var key: Range<Int>?
}

extension PrefixDecoder {
    /// Every shape `text` has, checked strictly (as detection must).
    mutating func shapes(of text: UnsafeRawBufferPointer) -> Shapes {
        var result: Shapes = []
        guard !text.isEmpty else { return result }
        if text[0] == UInt8(ascii: "{") {
            if journalJSON(text) != nil { result.insert(.journalJSON) }
            return result
        }
        if let cut = parse(text, as: .kubectl, strict: true) {
            result.insert(.kubectl)
            if cut.time != Timestamp.none { result.insert(.timestampAfterPrefix) }
            return result
        }
        if exactTimestamp(text, at: 0) != nil { result.insert(.timestamped) }
        if let cut = parse(text, as: .journal, strict: true) {
            result.insert(.journal)
            journalIndent = cut.content
        } else if continuesJournalMessage(text) {
            result.insert(.journal)  // a later line of a journal message of several lines
        } else {
            journalIndent = 0
        }
        if let cut = parse(text, as: .compose, strict: true) {
            result.insert(.compose)
            if cut.time != Timestamp.none { result.insert(.timestampAfterPrefix) }
        }
        if let cut = parse(text, as: .stern, strict: true) {
            result.insert(.stern)
            if cut.time != Timestamp.none { result.insert(.timestampAfterPrefix) }
        }
        return result
    }

    /// Takes `text` apart as `format` (not ``LogFormat/journalJSON``), or nil if it does not have its shape.
    ///
    /// - Parameter strict: detection's checks (a timestamp after a prefix is looked for, stern's pod name must be one
    ///   Kubernetes generated). Otherwise a timestamp after the prefix is taken only when detection saw one on every
    ///   line, or the format was forced and the line has one.
    mutating func parse(_ text: UnsafeRawBufferPointer, as format: LogFormat, strict: Bool) -> PrefixCut? {
        guard let base = text.baseAddress else { return nil }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = text.count
        var cut: PrefixCut
        switch format {
        case .timestamped:
            guard let (end, time) = exactTimestamp(text, at: 0) else { return nil }
            return PrefixCut(content: end, time: time, key: nil)
        case .kubectl:
            guard let c = Self.kubectlPrefix(p, n) else { return nil }
            cut = c
        case .compose:
            guard let c = Self.composePrefix(p, n) else { return nil }
            cut = c
        case .stern:
            guard let c = Self.sternPrefix(p, n, strict: strict) else { return nil }
            cut = c
        case .journal:
            return journalPrefix(p, n)
        case .auto, .docker, .cri, .plain, .journalJSON:
            return nil
        }
        if strict || self.format != .auto {
            // Detection looks for a timestamp; a forced format takes one when the line has it.
            if let (end, time) = exactTimestamp(text, at: cut.content) {
                cut.content = end
                cut.time = time
            }
        } else if timestampAfterPrefix {
            // Detected with a timestamp on every line: required.
            guard let (end, time) = exactTimestamp(text, at: cut.content) else { return nil }
            cut.content = end
            cut.time = time
        }
        return cut
    }

    /// The exact `RFC3339Nano` time at `at` with nine fractional digits (`2026-03-14T09:00:00.100000000Z`, or an
    /// offset `+01:00`) and the space after it: the index after the space and the time.
    mutating func exactTimestamp(_ text: UnsafeRawBufferPointer, at start: Int) -> (Int, Int64)? {
        let n = text.count
        guard start + 31 <= n, text[start + 19] == UInt8(ascii: "."), text[start + 10] == UInt8(ascii: "T") else {
            return nil
        }
        let zoneLength: Int
        switch text[start + 29] {
        case UInt8(ascii: "Z"): zoneLength = 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"): zoneLength = 6
        default: return nil
        }
        let end = start + 29 + zoneLength
        guard end < n, text[end] == UInt8(ascii: " "),
            let parsed = RFC3339.parseDetailed(UnsafeRawBufferPointer(rebasing: text[start..<end]), cache: &dayCache),
            parsed.fractionDigits == 9
        else { return nil }
        return (end + 1, parsed.nanos)
    }

    // MARK: - Prefixes

    /// `[pod/NAME/CONTAINER] `; the key is `pod/NAME/CONTAINER`. Neither name may be empty or hold a space, a `/`
    /// or a `[` (Kubernetes names cannot).
    static func kubectlPrefix(_ p: UnsafePointer<UInt8>, _ n: Int) -> PrefixCut? {
        guard n >= 10, p[0] == UInt8(ascii: "["), p[1] == UInt8(ascii: "p"), p[2] == UInt8(ascii: "o"),
            p[3] == UInt8(ascii: "d"), p[4] == UInt8(ascii: "/")
        else { return nil }
        // memchr over the names rather than a loop per byte: this runs on every line of a kubectl pipe.
        let limit = Swift.min(n, 5 + 253 + 1 + 63 + 1)
        guard let closing = memchr(p + 5, Int32(UInt8(ascii: "]")), limit - 5) else { return nil }
        let close = UnsafePointer<UInt8>(closing.assumingMemoryBound(to: UInt8.self)) - p
        guard close + 1 < n, p[close + 1] == UInt8(ascii: " "),
            let slashAt = memchr(p + 5, Int32(UInt8(ascii: "/")), close - 5)
        else { return nil }
        let slash = UnsafePointer<UInt8>(slashAt.assumingMemoryBound(to: UInt8.self)) - p
        guard slash > 5, slash + 1 < close, memchr(p + slash + 1, Int32(UInt8(ascii: "/")), close - slash - 1) == nil,
            memchr(p + 5, 0x20, close - 5) == nil, memchr(p + 5, Int32(UInt8(ascii: "[")), close - 5) == nil
        else { return nil }
        return PrefixCut(content: close + 2, time: Timestamp.none, key: 1..<close)
    }

    /// `NAME  | ` with the name padded by at least one space; the key is the name.
    static func composePrefix(_ p: UnsafePointer<UInt8>, _ n: Int) -> PrefixCut? {
        var i = 0
        while i < n, isNameByte(p[i]) { i += 1 }
        let nameEnd = i
        guard nameEnd > 0, isAlphanumeric(p[0]) else { return nil }
        while i < n, p[i] == UInt8(ascii: " ") { i += 1 }
        guard i > nameEnd, i < n, p[i] == UInt8(ascii: "|") else { return nil }
        // "| " then the line; an empty line leaves "|" and the space, or just "|" if something trimmed it.
        if i + 1 < n {
            guard p[i + 1] == UInt8(ascii: " ") else { return nil }
            return PrefixCut(content: i + 2, time: Timestamp.none, key: 0..<nameEnd)
        }
        return PrefixCut(content: n, time: Timestamp.none, key: 0..<nameEnd)
    }

    /// `POD CONTAINER `; the key is `POD CONTAINER`.
    ///
    /// Strictly (detection), both are DNS names in lower case, and the pod's name ends the way Kubernetes generates
    /// it: a ReplicaSet's `-<5 characters from bcdfghjklmnpqrstvwxz2456789>` or a StatefulSet's `-<ordinal>`. Two
    /// words at the start of an ordinary log line rarely look like that three lines running.
    static func sternPrefix(_ p: UnsafePointer<UInt8>, _ n: Int, strict: Bool) -> PrefixCut? {
        var i = 0
        while i < n, isDNSByte(p[i]) { i += 1 }
        let podEnd = i
        guard podEnd > 0, i < n, p[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        let containerStart = i
        while i < n, isDNSByte(p[i]) && p[i] != UInt8(ascii: ".") { i += 1 }
        guard i > containerStart, i < n, p[i] == UInt8(ascii: " ") else { return nil }
        if strict {
            guard isAlphanumeric(p[0]), isAlphanumeric(p[podEnd - 1]), isAlphanumeric(p[containerStart]),
                isAlphanumeric(p[i - 1]), hasGeneratedSuffix(p, podEnd)
            else { return nil }
        }
        return PrefixCut(content: i + 1, time: Timestamp.none, key: 0..<i)
    }

    /// `TIME HOST IDENT[PID]: ` or `TIME HOST IDENT: `; the key is `HOST IDENT[PID]`.
    mutating func journalPrefix(_ p: UnsafePointer<UInt8>, _ n: Int) -> PrefixCut? {
        guard n >= 16 else { return nil }
        var i: Int
        if Self.isDigit(p[0]) {
            // 2026-03-14T09:00:00+0000, 2026-03-14T09:00:00.123456+00:00
            guard n > 20, p[4] == UInt8(ascii: "-"), p[10] == UInt8(ascii: "T") else { return nil }
            i = 19
            while i < n, p[i] != UInt8(ascii: " ") { i += 1 }
        } else {
            // Mar 14 09:00:00, Mar  4 09:00:00.123456
            guard p[3] == UInt8(ascii: " ") else { return nil }
            i = p[4] == UInt8(ascii: " ") ? 5 : 4
            while i < n, Self.isDigit(p[i]) { i += 1 }
            guard i < n, p[i] == UInt8(ascii: " ") else { return nil }
            i += 1
            guard i + 8 <= n, p[i + 2] == UInt8(ascii: ":"), p[i + 5] == UInt8(ascii: ":") else { return nil }
            while i < n, p[i] != UInt8(ascii: " ") { i += 1 }
        }
        guard i < n, let time = LeadingTimestamp.parse(UnsafeRawBufferPointer(start: p, count: i), year: year)
        else { return nil }
        i += 1
        let hostStart = i
        while i < n, p[i] > 0x20 { i += 1 }
        guard i > hostStart, i < n, p[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        let identStart = i
        // The identifier runs to the first ": " (or a final ":"); a pid in brackets ends it.
        while i < n, p[i] > 0x20, !(p[i] == UInt8(ascii: ":") && (i + 1 == n || p[i + 1] == UInt8(ascii: " "))) {
            i += 1
        }
        guard i > identStart, i < n, p[i] == UInt8(ascii: ":") else { return nil }
        if p[i - 1] == UInt8(ascii: "]") {
            var j = i - 2
            while j > identStart, Self.isDigit(p[j]) { j -= 1 }
            guard j > identStart, j < i - 2, p[j] == UInt8(ascii: "[") else { return nil }
        }
        return PrefixCut(content: Swift.min(i + 2, n), time: time, key: hostStart..<i)
    }

    // MARK: - Bytes

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func isAlphanumeric(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isNameByte(_ b: UInt8) -> Bool {
        isAlphanumeric(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
    }
    @inline(__always) static func isDNSByte(_ b: UInt8) -> Bool {
        isDigit(b) || b &- 0x61 < 26 || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// Whether the pod name `p[0..<end]` ends as Kubernetes generates one (see ``sternPrefix(_:_:strict:)``).
    static func hasGeneratedSuffix(_ p: UnsafePointer<UInt8>, _ end: Int) -> Bool {
        var i = end - 1
        while i > 0, isDigit(p[i]) { i -= 1 }
        if i < end - 1, p[i] == UInt8(ascii: "-"), i > 0 { return true }  // StatefulSet: name-0
        guard end >= 7, p[end - 6] == UInt8(ascii: "-") else { return false }
        let alphabet = "bcdfghjklmnpqrstvwxz2456789".utf8
        for k in (end - 5)..<end where !alphabet.contains(p[k]) { return false }
        return true
    }

    // MARK: - Attributes

    /// The resource attributes a prefix stream's key stands for (what its records carry besides the source's).
    ///
    /// | format | key | attributes |
    /// | --- | --- | --- |
    /// | kubectl | `pod/NAME/CONTAINER` | `k8s.pod.name`, `k8s.container.name` |
    /// | stern | `POD CONTAINER` | `k8s.pod.name`, `k8s.container.name` |
    /// | compose | `web-1` | `service.name` (`web`), `service.instance.id` (`web-1`) |
    /// | journal | `HOST IDENT[PID]` | `host.name`, `process.executable.name`, `process.pid` |
    /// | journal-json | its fields | `host.name`, `process.executable.name`, `process.pid`, `systemd.unit` |
    public static func resource(
        forKey key: UnsafeRawBufferPointer, format: LogFormat
    ) -> [(key: String, value: String)] {
        let text = String(decoding: key, as: UTF8.self)
        switch format {
        case .kubectl:
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3 else { return [] }
            return [("k8s.pod.name", String(parts[1])), ("k8s.container.name", String(parts[2]))]
        case .stern:
            let parts = text.split(separator: " ")
            guard parts.count == 2 else { return [] }
            return [("k8s.pod.name", String(parts[0])), ("k8s.container.name", String(parts[1]))]
        case .compose:
            var service = Substring(text)
            if let dash = service.lastIndex(of: "-"), dash != service.startIndex,
                service[service.index(after: dash)...].allSatisfy(\.isNumber),
                service.index(after: dash) != service.endIndex
            {
                service = service[..<dash]
            }
            return [("service.name", String(service)), ("service.instance.id", text)]
        case .journal:
            let parts = text.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return [] }
            var ident = parts[1]
            var result: [(key: String, value: String)] = [("host.name", String(parts[0]))]
            if ident.hasSuffix("]"), let open = ident.lastIndex(of: "[") {
                let pid = ident[ident.index(after: open)..<ident.index(before: ident.endIndex)]
                ident = ident[..<open]
                result.append(("process.executable.name", String(ident)))
                result.append(("process.pid", String(pid)))
            } else {
                result.append(("process.executable.name", String(ident)))
            }
            return result
        case .journalJSON:
            let fields = text.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4 else { return [] }
            let names = ["host.name", "process.executable.name", "process.pid", "systemd.unit"]
            return zip(names, fields).filter { !$0.1.isEmpty }.map { (key: $0.0, value: $0.1) }
        case .auto, .docker, .cri, .plain, .timestamped:
            return []
        }
    }
}
