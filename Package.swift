// swift-tools-version: 6.1
// Weft: multiline log parsing pipeline agent.
//
// Targets read like the data flow:
//   WeftFraming → WeftDecoding → WeftJoin → WeftMultiline → WeftOutput, wired by WeftPipeline (all pure), with the
//   system calls at the edge in WeftIO, driven by `weft`.
import PackageDescription

let argumentParser = Package.Dependency.package(
    url: "https://github.com/apple/swift-argument-parser",
    from: "1.5.0"
)
// OTLP/HTTP export: Weft's own HTTP/1.1 client (WeftExportHTTP's HTTP1Connection) on SwiftNIO and NIOSSL, not
// async-http-client, whose dependency tree was 3.7 MB of the container image's binary (issue 15).
let nio = Package.Dependency.package(url: "https://github.com/apple/swift-nio", from: "2.101.0")
let nioSSL = Package.Dependency.package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0")
// `/metrics`: counters through the swift-metrics API, exposed in the Prometheus text format by swift-prometheus.
// Weft's own log (to stderr, logfmt or JSON), through the swift-log API.
let log = Package.Dependency.package(url: "https://github.com/apple/swift-log", from: "1.16.0")
let metrics = Package.Dependency.package(url: "https://github.com/apple/swift-metrics", from: "2.5.0")
let prometheus = Package.Dependency.package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0")

// Fuzzing builds (`WEFT_FUZZ=1`, scripts/fuzz.sh) instrument Weft's own modules for libFuzzer and AddressSanitizer.
// The flags go on Weft's targets, not through `swift build --sanitize`, which would also turn the build-time tool
// behind EmbedParsers into a fuzzer; for the same reason WeftRules, which that tool links, is left uninstrumented.
let fuzzing = Context.environment["WEFT_FUZZ"] != nil
let fuzzFlags: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address"])] : []

let toolSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // The hot path crosses module boundaries once per line (framing → decoding → join → multiline → output);
    // cross-module optimization lets the release build specialize and inline across them.
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
    // scripts/build-release optimizes the whole graph for size (-Osize: the dependencies are the HTTP, TLS and
    // command-line code, none of it per line); Weft's own modules, the hot path among them, stay optimized for speed.
    // The frontend takes the last optimization flag, and -Xfrontend's come after the driver's.
    .unsafeFlags(["-Xfrontend", "-O"], .when(configuration: .release)),
]
let swiftSettings = toolSettings + fuzzFlags

// The release executable's link (issue 15: the image's size; deploy/README.md has the measurements). lld, from the
// Swift toolchain, because it packs the relative relocations that a position-independent executable needs
// (`-z pack-relative-relocs`, DT_RELR: 1.8 MB of .rela.dyn becomes 15 kB; needs glibc 2.36, which Debian 12 and the
// image have). `--no-export-dynamic` undoes the `-export-dynamic` of Swift's static-stdlib link arguments: Weft loads
// no plugins that would look its symbols up, and an exported symbol is one `--gc-sections` must keep.
// `-static-libgcc`: the unwinder from libgcc_eh.a instead of libgcc_s.so.1 (0.1 MB less in the image). glibc dlopens
// libgcc_s.so.1 for pthread_exit and pthread_cancel, which the image then lacks: Weft calls neither (its main is
// synchronous, so the Swift runtime never parks the main thread in dispatch_main), and runtime-root.sh's proof
// would abort if that changed. No identical code folding (lld `--icf=all`): it saved 0.9 MB and cost 6.8% of
// Docker-input throughput and 2.0% of plain text's (deploy/README.md).
let releaseLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
            "-Xclang-linker", "-static-libgcc",
        ],
        .when(platforms: [.linux], configuration: .release))
]

let package = Package(
    name: "weft",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "weft", targets: ["weft"]),
        // The engine as a library, for the benchmark package (Benchmarks/) and for embedding.
        .library(
            name: "WeftEngine",
            targets: [
                "WeftCore", "WeftRegex", "WeftRules", "WeftFraming", "WeftDecoding", "WeftJoin", "WeftMultiline",
                "WeftOutput", "WeftPipeline", "WeftIO", "WeftExport",
            ]
        ),
    ],
    dependencies: [argumentParser, nio, nioSSL, log, metrics, prometheus],
    targets: [
        // PCRE2, found through pkg-config (Debian: libpcre2-dev).
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        .target(name: "WeftRegex", dependencies: ["CPCRE2"], swiftSettings: swiftSettings),
        .target(name: "WeftCore", swiftSettings: swiftSettings),
        // SSE2 byte scans for the hot path (JSON strings), header-only so that Swift inlines them.
        .target(name: "CWeftSIMD"),
        .target(name: "WeftFraming", dependencies: ["WeftCore"], swiftSettings: swiftSettings),
        .target(name: "WeftDecoding", dependencies: ["WeftCore", "CWeftSIMD"], swiftSettings: swiftSettings),
        .target(name: "WeftJoin", dependencies: ["WeftCore"], swiftSettings: swiftSettings),
        // libyaml, found through pkg-config (Debian: libyaml-dev; at run time libyaml-0-2).
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // YAML documents as nodes with line and column, on libyaml, bounded for untrusted input. A binding of our
        // own instead of Yams, which imports the full Foundation on Linux and so linked its ICU data (34 MB) into
        // the static binary. Uninstrumented in fuzzing builds, like WeftRules: the build-time tool links both.
        .target(name: "WeftYAML", dependencies: ["CYAML"], swiftSettings: toolSettings),
        // Rule files: the YAML format, parsed and validated (used at build time to embed the built-ins, and at run
        // time for users' own files).
        .target(name: "WeftRules", dependencies: ["WeftYAML"], swiftSettings: toolSettings),
        .target(
            name: "WeftMultiline",
            dependencies: ["WeftCore", "WeftRegex", "WeftRules"],
            swiftSettings: swiftSettings,
            plugins: ["EmbedParsers"]
        ),
        .target(name: "WeftOutput", dependencies: ["WeftCore", "CWeftSIMD"], swiftSettings: swiftSettings),
        .target(
            name: "WeftPipeline",
            dependencies: ["WeftCore", "WeftFraming", "WeftDecoding", "WeftJoin", "WeftMultiline", "WeftOutput"],
            swiftSettings: swiftSettings
        ),
        // The edge: reading descriptors, writing outputs, polling, signals and the wall clock. Everything above it is
        // pure (no system calls); the collector (`weft tail`) grows here.
        // signalfd(2), which Swift's Glibc module does not import (header-only wrappers).
        .target(name: "CWeftSystem"),
        .target(
            name: "WeftIO",
            dependencies: ["WeftCore", "WeftFraming", "WeftOutput", "CWeftSystem"],
            swiftSettings: swiftSettings
        ),
        // The collector (`weft tail`): discovery, tailers across rotation, checkpoints after acknowledgement.
        .target(
            name: "WeftCollector",
            dependencies: [
                "WeftCore", "WeftPipeline", "WeftMultiline", "WeftIO", "WeftOutput", "CWeftSystem",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // zlib, found through pkg-config (Debian: zlib1g-dev): gzip for the OTLP payloads.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Shipping records: the OTLP/protobuf and OTLP/JSON encodings of a batch, and gzip (pure; no networking).
        .target(
            name: "WeftExport",
            dependencies: ["WeftCore", "WeftOutput", "CZlib"],
            swiftSettings: swiftSettings
        ),
        // The network side of shipping: OTLP/HTTP with batching, retries, dead letters and acknowledgements.
        .target(
            name: "WeftExportHTTP",
            dependencies: [
                "WeftCore", "WeftExport", "WeftIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `weft run --config`: the YAML configuration, every key one of `weft tail`'s flags, with line and column.
        .target(name: "WeftConfig", dependencies: ["WeftYAML"], swiftSettings: swiftSettings),
        // Weft's own log: swift-log's handler writing logfmt or JSON lines to stderr, rate-limited per message.
        .target(
            name: "WeftLog", dependencies: ["WeftCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        // `/metrics` (Prometheus text format from swift-prometheus' registry), `/healthz` and `/readyz`, on SwiftNIO.
        .target(
            name: "WeftMetricsServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The expectation format of `weft parsers test` and `Samples/*.expected.jsonl`, and running a sample for it.
        .target(
            name: "WeftSamples",
            dependencies: ["WeftCore", "WeftDecoding", "WeftMultiline", "WeftOutput", "WeftPipeline"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "weft",
            dependencies: [
                "WeftPipeline", "WeftIO", "WeftCollector", "WeftExport", "WeftExportHTTP", "WeftSamples",
                "WeftMetricsServer", "WeftLog", "WeftConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: releaseLinkerSettings,
            plugins: ["StampCommit"]
        ),

        // Fuzz targets: every part that reads untrusted bytes, with its invariants (pure; run by the libFuzzer driver
        // `weft-fuzz` that scripts/fuzz.sh builds, and by FuzzRegressionTests on the kept inputs).
        .target(
            name: "WeftFuzzing",
            dependencies: [
                "WeftCore", "WeftFraming", "WeftDecoding", "WeftJoin", "WeftRules", "WeftMultiline", "WeftOutput",
                "WeftPipeline", "WeftExport", "WeftConfig",
            ],
            swiftSettings: swiftSettings
        ),

        // Build time: the rule files in Parsers/ are compiled into the binary.
        .executableTarget(name: "EmbedParsersTool", dependencies: ["WeftRules"], swiftSettings: toolSettings),
        .plugin(name: "EmbedParsers", capability: .buildTool(), dependencies: ["EmbedParsersTool"]),
        // Build time: the git commit (or WEFT_COMMIT) into `weft --version`.
        .plugin(name: "StampCommit", capability: .buildTool()),

        // Tests.
        .target(
            name: "WeftTestSupport",
            dependencies: ["WeftCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "WeftRegexTests", dependencies: ["WeftRegex"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WeftFramingTests", dependencies: ["WeftFraming", "WeftTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WeftOutputTests", dependencies: ["WeftOutput", "WeftTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WeftCollectorTests",
            dependencies: [
                "WeftCollector", "WeftIO", "WeftPipeline", "WeftTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeftExportHTTPTests",
            dependencies: [
                "WeftExportHTTP", "WeftExport", "WeftTestSupport",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Support"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "WeftYAMLTests", dependencies: ["WeftYAML"], swiftSettings: swiftSettings),
        .testTarget(name: "WeftConfigTests", dependencies: ["WeftConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WeftLogTests",
            dependencies: ["WeftLog", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeftMetricsServerTests",
            dependencies: [
                "WeftMetricsServer", "WeftCore", "WeftTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeftIOTests", dependencies: ["WeftIO", "WeftTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WeftDecodingTests",
            dependencies: ["WeftDecoding", "WeftJoin", "WeftTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeftMultilineTests",
            dependencies: ["WeftMultiline", "WeftTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeftExportTests",
            dependencies: ["WeftExport", "WeftPipeline", "WeftOutput", "WeftTestSupport", "CZlib"],
            exclude: ["Support"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeftFuzzingTests",
            dependencies: ["WeftFuzzing", "WeftTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WeftPipelineTests",
            dependencies: ["WeftPipeline", "WeftSamples", "WeftIO", "WeftTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)

// The libFuzzer driver exists only in fuzzing builds (its `main` comes from libFuzzer, so an ordinary build could not
// link it): `WEFT_FUZZ=1 swift build --scratch-path .build-fuzz --product weft-fuzz`, as scripts/fuzz.sh does.
if fuzzing {
    package.targets.append(.target(name: "CFuzzer", path: "Fuzz/CFuzzer"))
    package.targets.append(
        .executableTarget(
            name: "weft-fuzz",
            dependencies: ["WeftFuzzing", "CFuzzer"],
            path: "Fuzz/Driver",
            swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]
        ))
    package.products.append(.executable(name: "weft-fuzz", targets: ["weft-fuzz"]))
}
