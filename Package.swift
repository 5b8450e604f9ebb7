// swift-tools-version: 6.2
import PackageDescription

/// Strict settings for every Truckroll target.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "truckroll",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "truckroll", targets: ["truckroll"]),
        .library(name: "RouteOptimization", targets: ["RouteOptimization"]),
        .library(name: "LibPQ", targets: ["LibPQ"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // MARK: libpq
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "LibPQ",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),

        // MARK: pure core
        .target(
            name: "TruckrollDomain",
            swiftSettings: strict
        ),
        .target(
            name: "RouteOptimization",
            // The search is the CPU-bound core: optimised even in debug builds, so `make demo` plans as well as a
            // release build would in the same time limit.
            swiftSettings: strict + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "TruckrollPlanning",
            dependencies: ["TruckrollDomain", "RouteOptimization"],
            // Problem building and plan review loop over requests × technicians: optimised in debug builds too.
            swiftSettings: strict + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "OptimizerCommands",
            dependencies: [
                "RouteOptimization",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // MARK: infrastructure
        .target(
            name: "TruckrollStore",
            dependencies: [
                "LibPQ",
                "TruckrollDomain",
                "TruckrollPlanning",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "TruckrollSample",
            dependencies: ["LibPQ", "TruckrollDomain"],
            swiftSettings: strict
        ),

        // MARK: adapters
        .target(
            name: "TruckrollAPI",
            dependencies: [
                "TruckrollDomain",
                "TruckrollStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "TruckrollClient",
            dependencies: [
                "TruckrollDomain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),

        // MARK: composition
        .target(
            name: "TruckrollServer",
            dependencies: [
                "LibPQ",
                "TruckrollPlanning",
                "TruckrollAPI",
                "TruckrollStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TruckrollCommands",
            dependencies: [
                "TruckrollDomain",
                "TruckrollClient",
                "TruckrollServer",
                "TruckrollStore",
                "TruckrollSample",
                "LibPQ",
                "OptimizerCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "truckroll",
            dependencies: [
                "TruckrollCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // MARK: tests
        .target(
            name: "TruckrollTestSupport",
            dependencies: [
                "LibPQ",
                "TruckrollStore",
                "TruckrollServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TruckrollTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "LibPQTests",
            dependencies: ["LibPQ", "TruckrollTestSupport", "TruckrollServer"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TruckrollStoreTests",
            dependencies: ["TruckrollStore", "LibPQ", "TruckrollTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TruckrollServerTests",
            dependencies: [
                "TruckrollServer", "TruckrollCommands", "TruckrollPlanning", "TruckrollTestSupport", "TruckrollAPI", "LibPQ", "TruckrollDomain",
                "TruckrollStore", "TruckrollSample",
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TruckrollSampleTests",
            dependencies: ["TruckrollSample", "TruckrollStore", "TruckrollDomain", "LibPQ", "TruckrollTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TruckrollDomainTests",
            dependencies: ["TruckrollDomain"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TruckrollPlanningTests",
            dependencies: ["TruckrollPlanning", "RouteOptimization", "TruckrollDomain"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RouteOptimizationTests",
            dependencies: ["RouteOptimization", "OptimizerCommands"],
            swiftSettings: strict
        ),
    ]
)
