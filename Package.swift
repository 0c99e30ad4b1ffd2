// swift-tools-version: 6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .define("MMSIM_INTERNAL_CHECKS", .when(configuration: .debug)),
]

let package = Package(
    name: "mmsim",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mmsim", targets: ["mmsim"]),
        .library(name: "MMKernel", targets: ["MMKernel"]),
        .library(name: "MMScenario", targets: ["MMScenario"]),
        .library(name: "MMBench", targets: ["MMBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Layer 1: the simulated x86-64 hardware. Knows nothing of Linux.
        .target(name: "MMHardware", swiftSettings: strictSettings),
        // Layer 2: the kernel's memory management on top of the hardware.
        .target(name: "MMKernel", dependencies: ["MMHardware"], swiftSettings: strictSettings),
        // Layer 4: inputs (scenario files) and the real kernel of this machine.
        .target(
            name: "MMScenario",
            dependencies: ["MMKernel", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .target(name: "MMHost", swiftSettings: strictSettings),
        .target(
            name: "MMOracle", dependencies: ["MMHardware", "MMKernel", "MMHost"], swiftSettings: strictSettings),
        // The flush oracle: scenarios run on the real kernel under tlb:tlb_flush and on the model.
        .target(
            name: "MMProbe", dependencies: ["MMScenario", "MMKernel", "MMHost"], swiftSettings: strictSettings),
        // Layer 5: reports and the benchmark.
        .target(name: "MMBench", dependencies: ["MMKernel", "MMHost"], swiftSettings: strictSettings),
        .target(
            name: "MMReport", dependencies: ["MMScenario", "MMKernel", "MMProbe"], swiftSettings: strictSettings),
        // Layer 6: the subcommands (a library, so that tests can parse command lines) and the executable, which
        // only calls them.
        .target(
            name: "MMCLI",
            dependencies: [
                "MMScenario", "MMReport", "MMHost", "MMKernel", "MMBench", "MMProbe", "MMOracle",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(name: "mmsim", dependencies: ["MMCLI"], swiftSettings: strictSettings),
        .target(
            name: "MMTestSupport",
            dependencies: ["MMKernel"],
            path: "Tests/MMTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MMHardwareTests",
            dependencies: ["MMHardware", "MMTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MMKernelTests",
            dependencies: ["MMKernel", "MMHardware", "MMTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MMProbeTests",
            dependencies: ["MMProbe", "MMScenario", "MMKernel", "MMHost"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MMHostTests",
            dependencies: ["MMHost"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MMOracleTests",
            dependencies: ["MMOracle", "MMKernel", "MMHardware", "MMHost", "MMScenario"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MMCLITests",
            dependencies: [
                "MMCLI", "MMScenario", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MMScenarioTests",
            dependencies: ["MMScenario", "MMReport", "MMKernel", "MMHost", "MMTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
    ]
)
