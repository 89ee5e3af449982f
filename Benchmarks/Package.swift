// swift-tools-version: 6.1
// Weft's benchmarks, in their own package so that the root build and `swift test` stay fast.
//
//   cd Benchmarks && swift package benchmark            # per-stage micro-benchmarks (ordo-one/benchmark)
//   Benchmarks/run.sh                                     # end-to-end: the release binary on generated inputs
//
// The micro-benchmarks link the engine through the root package's `WeftEngine` library product.
import PackageDescription

let weft = Package.Dependency.package(name: "weft", path: "..")
// The malloc interposer gives the malloc counts; naming the trait leaves the other default trait (the 6.3 ARC runtime
// interposer) off, which this machine does not have.
let benchmark = Package.Dependency.package(
    url: "https://github.com/ordo-one/benchmark",
    from: "1.38.1",
    traits: ["MallocInterposer"]
)

let package = Package(
    name: "WeftBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [weft, benchmark],
    targets: [
        // One executable per suite; ordo-one/benchmark finds them under Benchmarks/<name>/.
        .executableTarget(
            name: "WeftStages",
            dependencies: [
                .product(name: "WeftEngine", package: "weft"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/WeftStages",
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
            ],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The OTLP encodings (protobuf, OTLP/JSON) and gzip against the JSON lines, on the same records.
        .executableTarget(
            name: "ExportEncoding",
            dependencies: [
                .product(name: "WeftEngine", package: "weft"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ExportEncoding",
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
            ],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
