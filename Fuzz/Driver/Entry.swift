import CFuzzer
import WeftFuzzing

#if canImport(Glibc)
    import Glibc
#endif

/// The target this process fuzzes, from `WEFT_FUZZ_TARGET` (scripts/fuzz.sh sets it).
private let target: FuzzTarget = {
    guard let name = getenv("WEFT_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name)
    else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        fatalError("set WEFT_FUZZ_TARGET to one of: \(names)")
    }
    return target
}()

/// One input, one run of the target. A violated invariant is a crash, so libFuzzer keeps the input. Exported under
/// libFuzzer's name too, for its own `main` when the linker takes that one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try target.run(bytes)
    } catch {
        fatalError("invariant violated: \(error)")
    }
    return 0
}

/// The process's entry point: SwiftPM links an executable's `main` to `<module>_main`, so weft-fuzz starts here and
/// hands its arguments (corpus directories, `-max_total_time=…`) to libFuzzer's driver.
@_cdecl("weft_fuzz_main")
public func weftFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
