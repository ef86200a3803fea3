// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Recurrent",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Recurrent", targets: ["Recurrent"]),
        .executable(name: "recurrent", targets: ["RecurrentCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    ],
    targets: [
        // The hot loops, in C: each compiled once per instruction set (baseline x86-64, AVX2,
        // AVX-512; NEON on arm64) under `target(...)` attributes, one chosen at run time.
        .target(name: "CRecurrentKernels"),
        .target(
            name: "Recurrent",
            dependencies: [
                "CRecurrentKernels",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .executableTarget(
            name: "RecurrentCLI",
            dependencies: [
                "Recurrent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "RecurrentTests",
            dependencies: ["Recurrent", "RecurrentCLI"],
            exclude: ["Fixtures"]
        ),
    ]
)
