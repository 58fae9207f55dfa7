// swift-tools-version: 6.2

import PackageDescription

// libFuzzer targets for sopd's parsers; `make fuzz` builds and runs them (docs/fuzzing.md).
// Each target defines `LLVMFuzzerTestOneInput` and a `main` that hands it to libFuzzer's driver
// (`LLVMFuzzerRunDriver`), since SwiftPM links every executable with its own `main`. The package only builds
// with `-sanitize=fuzzer,address`, and `-enable-testing` for the harnesses that reach internal parsers through
// `@testable import`; being a separate package keeps those flags out of the main build.
let package = Package(
    name: "sopd-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "sopd", path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        .executableTarget(
            name: "FuzzJSON", dependencies: ["FuzzSupport", .product(name: "SopdParsers", package: "sopd")]),
        .executableTarget(
            name: "FuzzBatch", dependencies: ["FuzzSupport", .product(name: "SopdParsers", package: "sopd")]),
        .executableTarget(
            name: "FuzzBackOffice", dependencies: ["FuzzSupport", .product(name: "SopdParsers", package: "sopd")]),
        .executableTarget(
            name: "FuzzFilter", dependencies: ["FuzzSupport", .product(name: "SopdParsers", package: "sopd")]),
        .executableTarget(
            name: "FuzzQueryOptions", dependencies: ["FuzzSupport", .product(name: "SopdParsers", package: "sopd")]),
        .executableTarget(
            name: "FuzzFetchXML", dependencies: ["FuzzSupport", .product(name: "SopdParsers", package: "sopd")]),
        .executableTarget(
            name: "FuzzWebAPIPath", dependencies: ["FuzzSupport", .product(name: "SopdParsers", package: "sopd")]),
    ],
    swiftLanguageModes: [.v6]
)
