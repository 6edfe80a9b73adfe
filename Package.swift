// swift-tools-version:6.0
import PackageDescription

// The layers, lowest first. Each target may import only the ones below it, so the compiler keeps a record's
// route one-way: bytes -> input -> records -> query -> engine -> export / backfill; the agent reads lines only.
let layers: [(name: String, dependencies: [Target.Dependency])] = [
    ("DeadLetterBytes", []),
    ("DeadLetterSupport", ["DeadLetterBytes"]),
    ("DeadLetterInput", ["DeadLetterSupport", "DeadLetterBytes", "CZlib"]),
    // Reaching AWS: SigV4, credentials, S3. Above Input because an S3 object is one more kind of input unit.
    ("DeadLetterAWS", ["DeadLetterInput", "DeadLetterSupport", "DeadLetterBytes",
                       .product(name: "Crypto", package: "swift-crypto"),
                       .product(name: "AsyncHTTPClient", package: "async-http-client"),
                       .product(name: "NIOCore", package: "swift-nio"),
                       .product(name: "NIOHTTP1", package: "swift-nio"),
                       .product(name: "NIOPosix", package: "swift-nio"),
                       .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
    ("DeadLetterRecords", ["DeadLetterInput", "DeadLetterSupport", "DeadLetterBytes", "CZlib"]),
    ("DeadLetterQuery", ["DeadLetterRecords", "DeadLetterInput", "DeadLetterSupport", "DeadLetterBytes"]),
    ("DeadLetterEngine", ["DeadLetterQuery", "DeadLetterRecords", "DeadLetterInput", "DeadLetterSupport", "DeadLetterBytes"]),
    ("DeadLetterExport", ["DeadLetterEngine", "DeadLetterQuery", "DeadLetterRecords", "DeadLetterInput", "DeadLetterSupport",
                          "DeadLetterBytes"]),
    ("DeadLetterBackfill", ["DeadLetterEngine", "DeadLetterQuery", "DeadLetterRecords", "DeadLetterInput", "DeadLetterSupport",
                            "DeadLetterBytes", "CFileSystem",
                            // SHA-256 of backfill files for manifest.json.
                            .product(name: "Crypto", package: "swift-crypto")]),
    ("DeadLetterAgent", ["DeadLetterInput", "DeadLetterSupport", "DeadLetterBytes"]),
    // Delivering backfill directories to services: journal, per-item retries, dead letters.
    ("DeadLetterSend", ["DeadLetterBackfill", "DeadLetterAWS", "DeadLetterSupport", "DeadLetterBytes"]),
    // The incident report: one self-contained HTML page drawn from the same counts as `summarize`.
    ("DeadLetterReport", ["DeadLetterBackfill", "DeadLetterAgent", "DeadLetterEngine", "DeadLetterQuery", "DeadLetterRecords",
                          "DeadLetterInput", "DeadLetterSupport", "DeadLetterBytes"]),
]

let package = Package(
    name: "deadletter",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "deadletter", targets: ["deadletter"]),
        .library(name: "DeadLetterKit", targets: layers.map(\.name)),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // Atomic exchange and no-replace renames for the backfill output directory (see its header).
        .target(name: "CFileSystem"),
    ] + layers.map { .target(name: $0.name, dependencies: $0.dependencies) } + [
        .executableTarget(
            name: "deadletter",
            dependencies: layers.map { .target(name: $0.name) } + [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DeadLetterKitTests",
            dependencies: layers.map { .target(name: $0.name) } + ["deadletter", "CZlib"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
