// A RoostCompute process for the compute fault tests (Tests/RoostComputeTests/ComputeFaultTests.swift),
// run as a child process so that a test can kill -9 it while it computes.
//
//     roost-compute-probe (--port P | --cluster P1,P2,…) --namespace N worker
//     roost-compute-probe (--port P | --cluster P1,P2,…) --namespace N memoize KEY
//     roost-compute-probe (--port P | --cluster P1,P2,…) --namespace N mapreduce (coordinator | hang-map | hang-reduce)
//     roost-compute-probe (--port P | --cluster P1,P2,…) --namespace N dataset (hang-map | hang-reduce)
//
// `worker` runs a `ComputeWorker` (lease 1 s) for namespace N with the task `hang-first`
// (`ComputeFaultTasks`): its first run anywhere hangs. `memoize` asks `ResultCache` N (lease
// 1 s) for KEY with a computation that hangs. `mapreduce` runs a `MapReduceWorker` (leases
// 1 s) of MapReduce namespace N: `coordinator` only coordinates jobs; `hang-map` and
// `hang-reduce` only run tasks, of the job `probe.word-count` (`probeWordCount`), whose map
// (or reduce) hangs in this process; `coordinator` also counts its beats (twice a second) in
// `roost:probe:{mr:<N>}:beats`. `dataset` runs a `MapReduceWorker` (leases 1 s, tasks
// only) of MapReduce namespace N with the Dataset functions `test.words`, `test.one` and
// `test.sum` of the dataset tests (`datasetFaultFunctions`), one of which hangs in this process:
// `test.words` in map, or `test.sum` in reduce. Each runs until it is killed, and exits by
// itself (status 3) when its parent process goes away; status 1 on bad arguments.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import RoostClient
import RoostCompute
import RoostCoordination

/// The probe's task `hang-first` in `namespace`: counts its runs in
/// `roost:probe:{compute:<namespace>}:starts`; the first run anywhere hangs (until its process
/// dies), later ones return ten times the argument.
func hangFirst(on client: any CoordinationClient, namespace: String) -> ComputeTask<Int, Int> {
    let starts = RedisKey("roost:probe:{compute:\(namespace)}:starts")
    return ComputeTask("hang-first", options: TaskOptions(maxAttempts: 3, backoff: .fixed(.milliseconds(10)))) { (x: Int) in
        if try await client.incr(starts) == 1 {
            try await Task.sleep(for: .seconds(86_400))
        }
        return x * 10
    }
}

/// The MapReduce job `probe.word-count`: the built-in word count over a Redis list, whose map
/// or reduce (`stage`) never returns in this process (a reduce blocks its thread, as a
/// stuck computation does). nil: it runs normally.
func probeWordCount(hangingIn stage: CoordinatorInstance.Stage?) -> MapReduceJob<RedisListSplit, [UInt8], Int, Int> {
    MapReduceJob("probe.word-count", map: { split, context, output in
        if stage == .map { try await Task.sleep(for: .seconds(86_400)) }
        try await split.read(context) { BuiltinJobs.countWords($0, into: &output) }
    }, combine: { $0 + $1 }, reduce: { _, counts in
        if stage == .reduce { while true { sleep(3600) } }
        return counts.reduce(0, +)
    })
}

/// The dataset tests' functions `test.words`, `test.one` and `test.sum` (the same names and types
/// as `DatasetTestFunctions` in Tests/RoostComputeTests), of which one never returns in this
/// process (blocking its thread, as a stuck computation does): `test.words` (`stage` map: it
/// runs on the map side of a stage) or `test.sum` when it adds up two partial sums (`stage`
/// reduce: on the map side it only ever adds a 1).
func datasetFaultFunctions(hangingIn stage: CoordinatorInstance.Stage) -> DatasetFunctions {
    let functions = DatasetFunctions()
    functions.register([
        FlatMapFunction("test.words") { (line: [UInt8]) in
            if stage == .map { while true { sleep(3600) } }
            return line.split(whereSeparator: BuiltinJobs.isSpace).map { Array($0) }
        },
        MapFunction("test.one") { (word: [UInt8]) in Pair(word, 1) },
        ReduceFunction("test.sum") { (a: Int, b: Int) in
            if stage == .reduce, a > 1, b > 1 { while true { sleep(3600) } }
            return a + b
        },
    ])
    return functions
}

/// Runs the probe until it is killed (or orphaned).
func probeMain(_ arguments: [String]) async -> Int32 {
    guard arguments.count >= 5, ["--port", "--cluster"].contains(arguments[0]), arguments[2] == "--namespace",
          arguments[4] == "worker" || (arguments[4] == "memoize" && arguments.count == 6)
            || (arguments[4] == "mapreduce" && arguments.count == 6 && ["coordinator", "hang-map", "hang-reduce"].contains(arguments[5]))
            || (arguments[4] == "dataset" && arguments.count == 6 && ["hang-map", "hang-reduce"].contains(arguments[5]))
    else {
        print("usage: roost-compute-probe (--port P | --cluster P1,P2,…) --namespace N (worker | memoize KEY | mapreduce MODE | dataset MODE)")
        return 1
    }
    let ports = arguments[1].split(separator: ",").compactMap { Int($0) }
    guard !ports.isEmpty else { return 1 }
    let namespace = arguments[3]
    var logger = Logger(label: "roost-compute-probe")
    logger.logLevel = .critical
    var node = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: ports[0]))
    node.commandTimeout = .seconds(30)
    let client: any CoordinationClient
    let runClient: @Sendable () async throws -> Void
    if arguments[0] == "--cluster" {
        let cluster = RedisClusterClient(configuration: RedisClusterConfiguration(
            seeds: ports.map { RedisClusterNodeAddress(host: "127.0.0.1", port: $0) }, node: node), logger: logger)
        (client, runClient) = (cluster, { try await cluster.run() })
    } else {
        let single = RedisClient(configuration: node, logger: logger)
        (client, runClient) = (single, { try await single.run() })
    }
    let parent = getppid()
    await withTaskGroup(of: Void.self) { [logger] group in
        group.addTask { try? await runClient() }
        group.addTask {
            if arguments[4] == "worker" {
                let compute = Compute(namespace, on: client)
                let registry = TaskRegistry()
                registry.register(hangFirst(on: client, namespace: namespace))
                let worker = ComputeWorker(compute: compute, registry: registry,
                                           configuration: .init(concurrency: 4, leaseTime: .seconds(1), runsSchedules: false),
                                           logger: logger)
                try? await worker.run()
            } else if arguments[4] == "mapreduce" || arguments[4] == "dataset" {
                let mode = arguments[5]
                let registry = MapReduceRegistry()
                if arguments[4] == "dataset" {
                    registry.register(datasetFaultFunctions(hangingIn: mode == "hang-map" ? .map : .reduce))
                } else {
                    registry.register(probeWordCount(hangingIn: mode == "hang-map" ? .map : mode == "hang-reduce" ? .reduce : nil))
                }
                let worker = MapReduceWorker(
                    mapReduce: MapReduce(namespace, on: client), registry: registry,
                    configuration: .init(concurrency: 1, leaseTime: .seconds(1), runsTasks: mode != "coordinator",
                                         coordinates: mode == "coordinator", coordinatorLease: .seconds(1)),
                    logger: logger)
                try? await worker.run()
            } else {
                let cache = ResultCache(namespace, on: client, leaseTime: .seconds(1), logger: logger)
                _ = try? await cache.memoize(key: arguments[5], ttl: .seconds(60)) { () async throws -> String in
                    try await Task.sleep(for: .seconds(86_400))
                    return "never"
                }
            }
        }
        // A coordinator counts its beats, so a test sees it run again after SIGCONT.
        let beats = arguments[4] == "mapreduce" && arguments[5] == "coordinator" ? RedisKey("roost:probe:{mr:\(namespace)}:beats") : nil
        // An orphan (the test process died) exits rather than work on.
        while getppid() == parent {
            if let beats { _ = try? await client.incr(beats) }
            try? await Task.sleep(for: .milliseconds(500))
        }
        exit(3)
    }
    return 0
}

exit(await probeMain(Array(CommandLine.arguments.dropFirst())))
