// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "deadletter",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "deadletter", targets: ["deadletter"]),
        .library(name: "DeadLetterKit", targets: ["DeadLetterKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SHA-256 of backfill files for manifest.json.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // Atomic exchange and no-replace renames for the backfill output directory (see its header).
        .target(name: "CFileSystem"),
        .target(
            name: "DeadLetterKit",
            dependencies: ["CZlib", "CFileSystem", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "deadletter",
            dependencies: [
                "DeadLetterKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DeadLetterKitTests",
            dependencies: ["DeadLetterKit", "deadletter", "CZlib"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
