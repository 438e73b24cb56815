// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Glassbox",
    products: [
        .library(name: "Glassbox", targets: ["Glassbox"]),
        .executable(name: "glassbox", targets: ["GlassboxCLI"]),
    ],
    // `swift build --traits MPI` adds MPI (Open MPI, Debian: libopenmpi-dev): `mpirun -np N glassbox
    // explain --global|--count ...` shards explanations and `mpirun -np N glassbox train` trains
    // data-parallel. Without the trait nothing needs MPI; `--shard K/N` and `glassbox merge` work
    // in every build.
    traits: [
        .trait(name: "MPI", description: "Run under mpirun: sharded explanations and data-parallel training (needs libopenmpi-dev)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // ONNX files are protobuf: the runtime library for the committed generated code
        // (Sources/Glassbox/IO/ONNX/Generated).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // The OpenCL C API (Debian: ocl-icd-opencl-dev). Only Backend/OpenCL imports it.
        .systemLibrary(
            name: "COpenCL",
            path: "Sources/COpenCL",
            providers: [.apt(["ocl-icd-opencl-dev"])]
        ),
        // zlib, for gzip-compressed IDX files and PNG (Debian: zlib1g-dev).
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The HDF5 C library (Debian: libhdf5-dev): the tests check Glassbox's own reader of
        // .keras weights against it (the library itself is not safe on damaged files: ROBUSTNESS.md).
        .systemLibrary(
            name: "CHDF5",
            path: "Sources/CHDF5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        // Open MPI's C API with a shim for mpi.h's macros (Debian: libopenmpi-dev); only with the
        // MPI trait.
        .systemLibrary(
            name: "CMPI",
            path: "Sources/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        // Turns Kernels/*.cl into Swift string constants at build time, so the binary carries
        // its kernels and Kernels/ stays their single source.
        .executableTarget(name: "EmbedKernels", path: "Sources/EmbedKernels"),
        .plugin(
            name: "EmbedKernelsPlugin",
            capability: .buildTool(),
            dependencies: ["EmbedKernels"],
            path: "Plugins/EmbedKernelsPlugin"
        ),
        .target(
            name: "GlassboxKernels",
            path: "Kernels",
            exclude: ["README.md"],
            plugins: ["EmbedKernelsPlugin"]
        ),
        .target(
            name: "Glassbox",
            dependencies: ["COpenCL", "CZlib", "GlassboxKernels", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                           .target(name: "CMPI", condition: .when(traits: ["MPI"]))],
            path: "Sources/Glassbox",
            exclude: ["IO/ONNX/Generated/README.md"]
        ),
        .executableTarget(
            name: "GlassboxCLI",
            dependencies: [
                "Glassbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/GlassboxCLI"
        ),
        .target(
            name: "GlassboxTestSupport",
            dependencies: ["Glassbox", "CHDF5"],
            path: "Tests/GlassboxTestSupport"
        ),
        .testTarget(
            name: "GlassboxTests",
            dependencies: ["Glassbox", "GlassboxTestSupport"],
            path: "Tests/GlassboxTests"
        ),
        .testTarget(
            name: "GlassboxCLITests",
            dependencies: ["GlassboxCLI", "Glassbox", "GlassboxTestSupport"],
            path: "Tests/GlassboxCLITests"
        ),
    ],
    swiftLanguageModes: [.v5]
)
