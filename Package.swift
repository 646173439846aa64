// swift-tools-version:6.0
// dlp-gpu: a LoRA-fusing inference engine. CKernels is the C kernel target (the kernel ABI and the CPU
// kernels; the CUDA plugin in CKernels/cuda is built by its own Makefile), DLPLoRA the library, dlp-gpu
// the command-line tool.
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
        .executableTarget(
            name: "dlp-gpu",
            dependencies: ["DLPLoRA", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/dlp-gpu"
        ),
        .testTarget(
            name: "DLPLoRATests",
            dependencies: ["DLPLoRA", "CKernels"],
            path: "Tests/DLPLoRATests"
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
