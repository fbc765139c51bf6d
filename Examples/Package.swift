// swift-tools-version:6.0
// Roost's examples as a package of their own: copy this folder and build it with `swift build`.
import PackageDescription

let roost: [Target.Dependency] = [
    .product(name: "RoostCompute", package: "Roost"),
    .product(name: "RoostClient", package: "Roost"),
    .product(name: "RoostServer", package: "Roost"),
    .product(name: "RoostEngine", package: "Roost"),
    .product(name: "RoostJobs", package: "Roost"),
    .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "RoostExamples",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "file-mapreduce", targets: ["FileMapReduce"]),
        .executable(name: "tasks-and-futures", targets: ["TasksAndFutures"]),
        .executable(name: "memoized-function", targets: ["MemoizedFunction"]),
    ],
    dependencies: [
        // Roost from this repository's checkout, named because its folder may have any name. In
        // a copy of this folder, depend on it by its git URL instead:
        //     .package(url: "https://github.com/<owner>/roost.git", branch: "main"),
        .package(name: "Roost", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // Starts Roost's server in the example's process when no --url is given.
        .target(name: "ExampleSupport", dependencies: roost),
        .executableTarget(name: "FileMapReduce", dependencies: roost + ["ExampleSupport"]),
        .executableTarget(name: "TasksAndFutures", dependencies: roost + ["ExampleSupport"]),
        .executableTarget(name: "MemoizedFunction", dependencies: roost + ["ExampleSupport"]),
    ]
)
