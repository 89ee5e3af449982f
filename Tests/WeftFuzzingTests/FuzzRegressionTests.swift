import Glibc
import Testing
import WeftFuzzing
import WeftTestSupport

/// Every fuzz target over its seed corpus (real captures from `Samples/`, the rule files, the shipped configs) and
/// over the inputs that once broke it (`Fuzz/regressions/TARGET/`): the invariants the fuzzer checks hold in every
/// ordinary test run, and a fixed crash stays fixed.
struct FuzzRegressionTests {
    /// At most this much of each seed: the fuzzer's corpus holds the same cut.
    static let seedBytes = 64 << 10

    static func inputs(of target: FuzzTarget) -> [String] {
        let manifest = String(decoding: (try? read(repositoryRoot + "/Fuzz/seeds.txt")) ?? [], as: UTF8.self)
        var paths: [String] = []
        for line in manifest.split(separator: "\n") where !line.hasPrefix("#") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.first.map(String.init) == target.rawValue else { continue }
            for pattern in words.dropFirst() { paths += expand(repositoryRoot + "/" + pattern) }
        }
        return paths + expand(repositoryRoot + "/Fuzz/regressions/\(target.rawValue)/*")
    }

    static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw POSIXError(errno) }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: seedBytes)
        let count = fread(&bytes, 1, seedBytes, file)
        return Array(bytes[..<count])
    }

    struct POSIXError: Error { var code: Int32; init(_ code: Int32) { self.code = code } }

    @Test(arguments: FuzzTarget.allCases)
    func targetHoldsOnItsCorpus(_ target: FuzzTarget) throws {
        let paths = Self.inputs(of: target)
        #expect(paths.count >= 2, "the seed corpus of \(target) is empty: check Fuzz/seeds.txt")
        for path in paths {
            let bytes = try Self.read(path)
            #expect(throws: Never.self, "\(path)") { try target.run(bytes) }
        }
    }
}
