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

/// libFuzzer's entry point: one input, one run of the target. A violated invariant is a crash, so libFuzzer keeps
/// the input.
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
