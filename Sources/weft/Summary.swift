import WeftCore
import WeftIO
import WeftMultiline
import WeftPipeline

/// The end-of-run summary printed on standard error.
struct Summary {
    let statistics: PipelineStatistics
    let engine: MultilineStatistics
    let matchLimitHits: Int
    let elapsed: Int64

    var text: String {
        let seconds = Double(max(elapsed, 1)) / 1e9
        let megabytes = Double(statistics.bytesIn) / 1_048_576
        var lines: [String] = []
        lines.append(
            "weft: \(statistics.physicalLines) lines (\(format(megabytes)) MiB) in, \(engine.records) records out"
                + " in \(format(seconds)) s (\(format(megabytes / seconds)) MiB/s)")
        let traced = engine.recordsByParser.values.reduce(0, +)
        let byParser = engine.recordsByParser.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("  by parser: " + (byParser + ["ordinary \(engine.records - traced)"]).joined(separator: ", "))
        let byReason = FlushReason.allCases.compactMap { reason -> String? in
            let count = engine.recordsByReason[Int(reason.rawValue)]
            return count == 0 ? nil : "\(reason) \(count)"
        }
        lines.append("  by flush reason: " + (byReason.isEmpty ? "none" : byReason.joined(separator: ", ")))
        lines.append(
            "  truncated records \(engine.truncatedRecords), truncated lines \(statistics.truncatedLines),"
                + " malformed lines \(statistics.malformedLines), regex match-limit hits \(matchLimitHits)")
        if statistics.firstTime != Timestamp.none {
            let span = Double(statistics.lastTime - statistics.firstTime) / 1e9
            lines.append(
                "  time span: \(Timestamp.rfc3339(statistics.firstTime)) to \(Timestamp.rfc3339(statistics.lastTime))"
                    + " (\(duration(span)))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func format(_ value: Double) -> String {
        let scaled = (value * 10).rounded() / 10
        return scaled == scaled.rounded() ? "\(Int(scaled))" : "\(scaled)"
    }

    private func duration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return "\(format(seconds)) s" }
        let total = Int(seconds)
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? "\(h)h\(m)m\(s)s" : "\(m)m\(s)s"
    }
}

/// A progress bar on standard error for long replays on a terminal.
struct Progress {
    private var size: Int64 = 0
    private var done: Int64 = 0
    private var lastDraw: Int64 = 0
    private var path = ""

    mutating func begin(path: String, size: Int64) {
        self.path = path
        self.size = size
        done = 0
    }

    mutating func advance(by count: Int) {
        done += Int64(count)
        let now = SystemClock().now()
        guard size > 0, now - lastDraw > 200_000_000 else { return }
        lastDraw = now
        let fraction = Double(done) / Double(size)
        let width = 30
        let filled = min(width, Int(fraction * Double(width)))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        writeStandardError("\r\(path) [\(bar)] \(Int(fraction * 100))%")
    }

    mutating func end() {
        if lastDraw > 0 { writeStandardError("\r\u{1B}[K") }
        lastDraw = 0
    }
}
