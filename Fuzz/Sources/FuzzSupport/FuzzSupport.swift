import CLibFuzzer

#if canImport(Glibc)
    import Glibc
#endif

/// Hands the process to libFuzzer with `testOneInput` as the target: fuzzing, `-runs=`, corpus replay
/// and `-merge=1` work as with libFuzzer's own `main`, whose place SwiftPM's executable `main` takes.
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}

/// The bytes of one libFuzzer input.
public func inputBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}
