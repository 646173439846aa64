// swift-tools-version:6.0
// dlp-gpu: a LoRA-fusing inference engine. CKernels is the C kernel target (the kernel ABI and the CPU
// kernels; the CUDA plugin in CKernels/cuda is built by its own Makefile), DLPLoRA the library, DLPServe
// the OpenAI-compatible HTTP server (Hummingbird), dlp-gpu the command-line tool.
import Foundation
import PackageDescription

// DLP_STATIC_OPENBLAS=1 links OpenBLAS's static archive (scripts/package-gpu-check.sh: a binary for GPU
// machines that have no OpenBLAS); otherwise the shared library.
let openBLAS: [LinkerSetting] = ProcessInfo.processInfo.environment["DLP_STATIC_OPENBLAS"] == "1"
    ? [.unsafeFlags(["-Xlinker", "-l:libopenblas.a"])]
    : [.linkedLibrary("openblas")]

let package = Package(
    name: "dlp-gpu",
    products: [
        .library(name: "DLPLoRA", targets: ["DLPLoRA"]),
        .executable(name: "dlp-gpu", targets: ["dlp-gpu"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "CKernels",
            path: "CKernels",
            exclude: ["cuda"],
            publicHeadersPath: "include",
            cSettings: [
                // The kernels are the hot path: optimized even in debug builds, so `swift test` stays fast.
                .unsafeFlags(["-O3", "-fno-math-errno", "-Wall"]),
            ],
            linkerSettings: openBLAS + [.linkedLibrary("m"), .linkedLibrary("pthread")]
        ),
        .target(
            name: "DLPLoRA",
            dependencies: ["CKernels"],
            path: "Sources/DLPLoRA"
        ),
        .target(
            name: "DLPServe",
            dependencies: [
                "DLPLoRA",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/DLPServe"
        ),
        .executableTarget(
            name: "dlp-gpu",
            dependencies: ["DLPLoRA", "DLPServe", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/dlp-gpu"
        ),
        .testTarget(
            name: "DLPLoRATests",
            dependencies: ["DLPLoRA", "CKernels"],
            path: "Tests/DLPLoRATests"
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: ["DLPServe", "DLPLoRA", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
            path: "Tests/ServerTests"
        ),
        .testTarget(
            name: "PublicAPITests",
            dependencies: ["DLPLoRA"],
            path: "Tests/PublicAPITests"
        ),
    ],
    swiftLanguageModes: [.v5]
)

// DLP_FUZZ=1 adds the libFuzzer targets (Fuzz/): `make fuzz` builds them with -sanitize=fuzzer,address.
if ProcessInfo.processInfo.environment["DLP_FUZZ"] == "1" {
    package.targets.append(.target(name: "FuzzDriver", path: "Fuzz/FuzzDriver"))
    for name in ["fuzz-template", "fuzz-json", "fuzz-readers"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["DLPLoRA", "FuzzDriver"], path: "Fuzz/\(name)"))
    }
}
