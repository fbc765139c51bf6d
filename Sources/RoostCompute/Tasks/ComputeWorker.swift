import Logging
import RoostClient
import RoostJobs
import ServiceLifecycle

/// Runs the tasks of a `Compute` namespace whose functions `registry` has: a RoostJobs `Worker`
/// on the namespace's queue, as a ServiceLifecycle `Service`.
///
///     let worker = ComputeWorker(compute: compute, registry: registry)
///     try await ServiceGroup(services: [worker], logger: logger).run()
///
/// Each attempt decodes the arguments, runs the function, publishes the output (the first
/// publication of a task wins) and enqueues the dependents that waited for nothing else.
/// An attempt of a task whose output is already published (a retry after its worker died
/// between publishing and completing) skips the function and only does the rest. A function
/// that throws fails the attempt, which RoostJobs retries under the task's `TaskOptions`;
/// leases, heartbeats, stalls and graceful shutdown are the `Worker`'s.
public final class ComputeWorker: Service, Sendable {
    /// The namespace it works for.
    public let compute: Compute
    /// The functions it runs.
    public let registry: TaskRegistry
    /// The job worker underneath (its counts, metrics and configuration).
    public let worker: Worker

    /// A worker for `compute`'s tasks with `registry`'s functions.
    public init(compute: Compute, registry: TaskRegistry, configuration: Worker.Configuration = Worker.Configuration(),
                logger: Logger = Logger(label: "roost.compute.worker")) {
        self.compute = compute
        self.registry = registry
        self.worker = Worker(queue: compute.queue, configuration: configuration, logger: logger)
        worker.register(ComputeJob.self) { [compute, registry] job, context in
            try await Self.attempt(job, id: context.id, compute: compute, registry: registry)
            return Empty()
        }
    }

    /// Works until graceful shutdown or cancellation (see `Worker.run()`).
    public func run() async throws {
        try await worker.run()
    }

    private static func attempt(_ job: ComputeJob, id: String, compute: Compute, registry: TaskRegistry) async throws {
        var output: [UInt8] = []
        if try await compute.client.get(compute.keys.result(id)) == nil {
            guard let function = registry.function(job.task, version: job.version) else {
                throw ComputeError.unknownTask(name: job.task, version: job.version)
            }
            output = try await function(Array(job.arguments.utf8))
        }
        let reply = try await compute.run(ComputeScripts.publish, [RedisArgument(id), RedisArgument(bytes: output),
                                                                   RedisArgument(compute.resultMilliseconds)])
        guard case .array(.some(let ready)) = reply else { throw ComputeError.unexpectedReply("publish: \(reply)") }
        for dependent in ready.compactMap({ $0.computeString }) {
            try await compute.enqueueReady(dependent)
        }
    }
}
