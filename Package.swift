// swift-tools-version: 6.2

import PackageDescription

let package = Package(
    name: "sopd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sopd", targets: ["sopd"]),
        .executable(name: "sop-emulator", targets: ["sop-emulator"]),
        .executable(name: "sopd-bench", targets: ["sopd-bench"]),
        .library(name: "SopdParsers", targets: ["JSON", "Dataverse", "BackOffice", "Emulators"]),
    ],
    // The PostgreSQL journal backend (postgres-nio and SwiftNIO) roughly doubles a first build: `make demo` leaves it
    // out (--disable-default-traits); every other build, and the shipped package, has it.
    traits: [
        .trait(name: "PostgreSQL", description: "The PostgreSQL journal backend, for several hosts sharing one journal."),
        .default(enabledTraits: ["PostgreSQL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", exact: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "CCurlShim", dependencies: ["CCurl"]),
        .target(name: "CMallocTuning"),
        .target(name: "CTLSFront", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "JSON"),
        .target(name: "PeerText"),
        .target(name: "HTTP", dependencies: ["CCurl", "CCurlShim"]),
        .target(
            name: "HTTPListener",
            dependencies: [
                "CTLSFront", .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "SalesRules"),
        .target(name: "Clocks"),
        .target(name: "ChildProcess"),
        .target(name: "Transfers"),
        .target(name: "Dataverse", dependencies: ["HTTP", "JSON", "Clocks", "PeerText"]),
        .target(
            name: "BackOffice",
            dependencies: [
                "HTTP", "JSON", "PeerText", "Clocks", .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Yams", package: "Yams"),
            ]),
        .target(name: "Journal", dependencies: ["Clocks", "Transfers", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "PostgresJournal",
            dependencies: [
                "Journal", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "Sync",
            dependencies: [
                "Dataverse", "BackOffice", "Journal", "SalesRules", "JSON", "Clocks", "Transfers", "PeerText", "HTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "Daemon",
            dependencies: [
                "Sync", "SalesRules", "Journal", "JSON", "HTTP", "Dataverse", "BackOffice", "Clocks", "Transfers", "PeerText",
                "HTTPListener", "CMallocTuning",
                .target(name: "PostgresJournal", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Operations",
            dependencies: [
                "Daemon", "Sync", "Journal", "Transfers", "SalesRules", "JSON", "HTTP", "Dataverse", "BackOffice", "PeerText",
            ]
        ),
        .target(
            name: "Emulators",
            dependencies: [
                "SalesRules", "JSON", "BackOffice", "Clocks", "HTTPListener", "HTTP",
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "FlyingSocks", package: "FlyingFox"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sopd",
            dependencies: [
                "Daemon", "Operations", "Emulators", "Transfers", "Sync", "Journal", "Dataverse", "SalesRules", "Clocks", "HTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sop-emulator",
            dependencies: [
                "Emulators", "HTTP", "HTTPListener", "ChildProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sopd-bench",
            dependencies: [
                "Sync", "Journal", "Transfers", "Dataverse", "HTTP", "JSON", "ChildProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "SopdTestSupport",
            dependencies: [
                "Emulators", "Daemon", "Sync", "Dataverse", "BackOffice", "HTTP", "Journal", "JSON", "Clocks", "ChildProcess",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/SopdTestSupport"
        ),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(
            name: "HTTPTests", dependencies: ["HTTP", "SopdTestSupport", "ChildProcess", .product(name: "FlyingFox", package: "FlyingFox")]),
        .testTarget(name: "DataverseTests", dependencies: ["Dataverse", "Emulators", "HTTP", "JSON", "SopdTestSupport"]),
        .testTarget(name: "BackOfficeTests", dependencies: ["BackOffice", "Emulators", "HTTP", "JSON", "SopdTestSupport"]),
        .testTarget(name: "TransfersTests", dependencies: ["Transfers"]),
        .testTarget(name: "PeerTextTests", dependencies: ["PeerText"]),
        .testTarget(
            name: "JournalTests",
            dependencies: [
                "Journal", "Transfers", "Clocks", "SopdTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .target(name: "PostgresJournal", condition: .when(traits: ["PostgreSQL"])),
            ]),
        .testTarget(name: "EmulatorsTests", dependencies: ["Emulators", "JSON", "HTTP", "SalesRules", "SopdTestSupport"]),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "Sync", "Daemon", "Emulators", "Journal", "Transfers", "SalesRules", "BackOffice", "Dataverse", "HTTP", "JSON",
                "SopdTestSupport", "Operations", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "Dataverse", "BackOffice", "SopdTestSupport", "PeerText", "Emulators", "Journal", "HTTP", "Sync",
                "Transfers", "HTTPListener", "ChildProcess", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "OperationsTests",
            dependencies: ["Operations", "Daemon", "Journal", "Transfers", "Emulators", "SopdTestSupport"]),
        .testTarget(name: "SalesRulesTests", dependencies: ["SalesRules"]),
        .testTarget(
            name: "sopdTests",
            dependencies: [
                "SopdTestSupport", "ChildProcess", "Journal", "Transfers", "HTTP", "JSON", "Emulators", "SalesRules", "Daemon", "Dataverse",
            ]),
    ]
)
