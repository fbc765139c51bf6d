// swift-tools-version:6.0
import PackageDescription

let exampleDependencies: [Target.Dependency] = [
    "RoostCompute", "RoostClient", "RoostServer", "RoostEngine", "RoostJobs", .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "Roost",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "RoostRESP", targets: ["RoostRESP"]),
        .library(name: "RoostEngine", targets: ["RoostEngine"]),
        .library(name: "RoostServer", targets: ["RoostServer"]),
        .library(name: "RoostClient", targets: ["RoostClient"]),
        .library(name: "RoostCoordination", targets: ["RoostCoordination"]),
        .library(name: "RoostJobs", targets: ["RoostJobs"]),
        .library(name: "RoostCompute", targets: ["RoostCompute"]),
        .library(name: "RoostDashboard", targets: ["RoostDashboard"]),
        .library(name: "RoostTesting", targets: ["RoostTesting"]),
        .executable(name: "roost", targets: ["roost"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.5.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "RoostRESP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.1",
            providers: [.apt(["liblua5.1-0-dev"])]
        ),
        // Scripts run on a fiber of their own, so a long one can give the event loop back.
        .target(name: "CRoostFiber"),
        .target(
            name: "RoostEngine",
            dependencies: [
                "RoostRESP",
                "CLua",
                "CRoostFiber",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "RoostServer",
            dependencies: [
                "RoostEngine",
                "RoostRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "RoostClient",
            dependencies: [
                "RoostRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "RoostCoordination",
            dependencies: [
                "RoostClient",
                "RoostRESP",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Job queues and workers, on the client and the coordination primitives only.
        .target(
            name: "RoostJobs",
            dependencies: [
                "RoostClient",
                "RoostCoordination",
                "RoostRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Distributed tasks with futures and a result cache, on the job queues and the
        // coordination primitives.
        .target(
            name: "RoostCompute",
            dependencies: [
                "RoostClient",
                "RoostCoordination",
                "RoostJobs",
                "RoostRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The web dashboard (`roost dashboard`, or mounted in a user's Hummingbird app): queues,
        // jobs and workers, on the toolkit modules; its CSS and JS are package resources.
        .target(
            name: "RoostDashboard",
            dependencies: [
                "RoostClient",
                "RoostCompute",
                "RoostCoordination",
                "RoostJobs",
                "RoostRESP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Assets")]
        ),
        // Test tooling for users and for the project's own tests: Roost in-process, redis-server
        // and a six-node Redis Cluster as child processes.
        .target(
            name: "RoostTesting",
            dependencies: [
                "RoostClient",
                "RoostServer",
                "RoostEngine",
                "RoostRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "roost",
            dependencies: [
                "RoostServer",
                "RoostJobs",
                "RoostCompute",
                "RoostClient",
                "RoostCoordination",
                "RoostDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "roost-client-bench",
            dependencies: [
                "RoostClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "benchmarks/ClientBenchmark"
        ),
        // DistributedLock's uncontended rate and hand-off latency, for benchmarks/locks.sh.
        .executableTarget(
            name: "roost-lock-bench",
            dependencies: [
                "RoostCoordination",
                "RoostClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "benchmarks/LockBenchmark"
        ),
        // RoostJobs' enqueue rate, processing rate and latency, for benchmarks/jobs.sh.
        .executableTarget(
            name: "roost-jobs-bench",
            dependencies: [
                "RoostJobs",
                "RoostClient",
                "RoostCoordination",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "benchmarks/JobsBenchmark"
        ),
        // RoostCompute's no-op tasks through futures, for benchmarks/tasks.sh.
        .executableTarget(
            name: "roost-tasks-bench",
            dependencies: [
                "RoostCompute",
                "RoostClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "benchmarks/TasksBenchmark"
        ),
        // The Zipf corpus and the single-threaded WordTally baseline, for benchmarks/wordcount.sh.
        .executableTarget(
            name: "roost-wordcount-bench",
            dependencies: [
                "RoostCompute",
                "RoostEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "benchmarks/WordCountBenchmark"
        ),
        // Seeded, structure-aware fuzz inputs for the engine and the parser (and the seeded
        // generator every randomised test uses); `roost-fuzz` runs them in bulk.
        .target(
            name: "RoostFuzzing",
            dependencies: ["RoostEngine", "RoostRESP", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/RoostFuzzing"
        ),
        .executableTarget(
            name: "roost-fuzz",
            dependencies: [
                "RoostFuzzing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/roost-fuzz"
        ),
        // libFuzzer's entry point over the same inputs (see the file's comment for the flags).
        .executableTarget(name: "roost-libfuzz", dependencies: ["RoostFuzzing"], path: "Tests/roost-libfuzz"),
        // A lock or semaphore holder that the coordination safety tests run as a child process
        // (to SIGSTOP, resume and kill -9 it mid-critical-section).
        .executableTarget(
            name: "roost-coordination-probe",
            dependencies: ["RoostCoordination", "RoostClient", "RoostRESP"],
            path: "Tests/roost-coordination-probe"
        ),
        // A RoostJobs worker that the jobs fault tests run as child processes (to kill -9,
        // SIGSTOP and resume them while they work).
        .executableTarget(
            name: "roost-jobs-probe",
            dependencies: [
                "RoostJobs",
                "RoostCoordination",
                "RoostClient",
                "RoostRESP",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/roost-jobs-probe"
        ),
        // A RoostCompute worker or cache caller that the compute fault tests run as a child
        // process (to kill -9 it while it computes).
        .executableTarget(
            name: "roost-compute-probe",
            dependencies: [
                "RoostCompute",
                "RoostCoordination",
                "RoostClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/roost-compute-probe"
        ),
        // Examples/ (a package of its own, for users to copy) built with this one as well, so that
        // CI builds and runs them (ExampleProgramTests) without a second build of Roost.
        .target(name: "ExampleSupport", dependencies: exampleDependencies, path: "Examples/Sources/ExampleSupport"),
        .executableTarget(name: "example-file-mapreduce", dependencies: exampleDependencies + ["ExampleSupport"],
                          path: "Examples/Sources/FileMapReduce"),
        .executableTarget(name: "example-tasks-and-futures", dependencies: exampleDependencies + ["ExampleSupport"],
                          path: "Examples/Sources/TasksAndFutures"),
        .executableTarget(name: "example-memoized-function", dependencies: exampleDependencies + ["ExampleSupport"],
                          path: "Examples/Sources/MemoizedFunction"),
        .target(
            name: "RoostTestSupport",
            dependencies: [
                "RoostTesting",
                "RoostFuzzing",
                "RoostServer",
                "RoostRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/RoostTestSupport"
        ),
        .testTarget(name: "RoostRESPTests", dependencies: ["RoostRESP", "RoostFuzzing"]),
        .testTarget(name: "RoostEngineTests", dependencies: ["RoostEngine", "RoostRESP", "RoostFuzzing"]),
        .testTarget(
            name: "RoostDifferentialTests",
            dependencies: ["RoostTestSupport", "RoostServer", "RoostRESP"]
        ),
        .testTarget(name: "RoostTestingTests", dependencies: ["RoostTesting", "RoostClient"]),
        .testTarget(
            name: "RoostCoordinationTests",
            dependencies: [
                "RoostCoordination",
                "RoostClient",
                "RoostServer",
                "RoostTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RoostJobsTests",
            dependencies: [
                "RoostJobs",
                "RoostClient",
                "RoostServer",
                "RoostTestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "RoostComputeTests",
            dependencies: [
                "RoostCompute",
                "RoostJobs",
                "RoostClient",
                "RoostCoordination",
                "RoostTestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `roost jobs` run as a child process, as a user runs it, against Roost and redis-server.
        .testTarget(
            name: "RoostCLITests",
            dependencies: [
                "RoostJobs",
                "RoostCompute",
                "RoostClient",
                "RoostTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The dashboard over HTTP against Roost and redis-server with real queues.
        .testTarget(
            name: "RoostDashboardTests",
            dependencies: [
                "RoostDashboard",
                "RoostCompute",
                "RoostJobs",
                "RoostClient",
                "RoostTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RoostClientTests",
            dependencies: [
                "RoostClient",
                "RoostTestSupport",
                "RoostRESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
    ]
)
