import Foundation
import Testing
import WeftCore
import WeftDecoding
import WeftPipeline
import WeftTestSupport

/// Every captured sample merges exactly as its golden file says (the files come from the real runtimes; see
/// Samples/README.md).
@Suite struct SampleTests {
    @Test func samplesExistForEveryLanguage() {
        let names = Fixtures.sampleNames()
        for language in ["go", "java", "python", "ruby"] {
            #expect(names.contains { $0.hasPrefix(language + "/") }, "no samples for \(language)")
        }
    }

    @Test(arguments: Fixtures.sampleNames())
    func sampleMergesAsExpected(name: String) throws {
        let log = Fixtures.samples.appendingPathComponent(name)
        let expectedURL = log.deletingPathExtension().appendingPathExtension("expected.jsonl")
        let expected = try Fixtures.expected(expectedURL)
        let bytes = Array(try Data(contentsOf: log))
        let actual = try Fixtures.run(bytes, format: .plain).records.map { Expected(parser: $0.parser, body: $0.body) }
        #expect(actual == expected, "\(name)")
        if actual != expected {
            for (index, pair) in zip(actual, expected).enumerated() where pair.0 != pair.1 {
                Issue.record("\(name): first difference at record \(index):\n got \(pair.0)\nwant \(pair.1)")
                break
            }
        }
    }

    @Test(arguments: Fixtures.sampleNames())
    func chunkingDoesNotMatter(name: String) throws {
        let bytes = Array(try Data(contentsOf: Fixtures.samples.appendingPathComponent(name)))
        let whole = try Fixtures.run(bytes, format: .plain).records.map(\.body)
        let dribbled = try Fixtures.run(bytes, format: .plain, chunk: 7).records.map(\.body)
        #expect(whole == dribbled)
    }
}
