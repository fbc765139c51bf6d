import NIOConcurrencyHelpers
import NIOCore
import RoostClient
import RoostCoordination
import RoostRESP

/// Where a MapReduce job is: its phase, its tasks by state, the bytes its committed attempts
/// read and wrote, the input rate and the live workers.
public struct MapReduceProgress: Sendable, Hashable {
    /// Tasks of one phase by state.
    public struct TaskCounts: Sendable, Hashable {
        /// Not scheduled yet, or waiting for a new attempt.
        public var pending = 0
        /// With an attempt scheduled or running.
        public var running = 0
        /// Committed.
        public var committed = 0
        /// Attempts that failed (threw, lost their lease) so far.
        public var failedAttempts = 0
        /// Backup attempts started for stragglers.
        public var backups = 0
        public init() {}
        /// All tasks of the phase.
        public var total: Int { pending + running + committed }
    }

    /// The coordinator's phase (`.map` before the coordinator first ran).
    public var phase: CoordinatorInstance.Phase
    public var map: TaskCounts
    public var reduce: TaskCounts
    /// The input bytes of committed map attempts (as far as their splits know their size) and
    /// the intermediate bytes of committed reduce attempts.
    public var bytesIn: Int64
    /// The intermediate bytes of committed map attempts and the output bytes of committed
    /// reduce attempts.
    public var bytesOut: Int64
    /// The pairs that committed map attempts emitted.
    public var records: Int64
    /// Input bytes per second since submission.
    public var bytesPerSecond: Double
    /// Workers of the namespace with a recent heartbeat.
    public var liveWorkers: Int
    /// Time since submission (until the end, once the job ended).
    public var elapsed: Duration
    /// Why the job failed, when `phase` is `.failed`.
    public var error: String?

    /// Whether the job ended (done or failed).
    public var isFinished: Bool { phase == .done || phase == .failed }
}

/// A job's progress as an `AsyncSequence`: the current progress first, then each change
/// (after every commit and coordinator step, which the job announces on its notice channel,
/// and once a second for the rate and the workers). It ends after the job ends.
public struct MapReduceProgressUpdates: AsyncSequence, Sendable {
    public typealias Element = MapReduceProgress
    let stream: AsyncThrowingStream<MapReduceProgress, any Error>

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<MapReduceProgress, any Error>.AsyncIterator
        /// The next progress, or nil after the job ended.
        public mutating func next() async throws -> MapReduceProgress? { try await base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator()) }
}

extension MapReduceRun {
    /// Runs `body` with the job's progress updates, for as long as `body` runs.
    ///
    ///     try await run.progress { updates in
    ///         for try await p in updates { print(p.map.committed, "/", p.map.total) }
    ///     }
    /// - Throws: what `body` throws; the updates throw `MapReduceError.notFound` and client errors.
    public func progress<Result: Sendable>(_ body: (MapReduceProgressUpdates) async throws -> Result) async throws -> Result {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: MapReduceProgress.self, bufferingPolicy: .bufferingNewest(1))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await self.reportProgress(to: continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            defer { group.cancelAll() }
            return try await body(MapReduceProgressUpdates(stream: stream))
        }
    }

    /// The job's progress now.
    /// - Throws: `MapReduceError.notFound`, client errors.
    public func currentProgress() async throws -> MapReduceProgress {
        try await Self.progress(keys: keys, mapReduce: mapReduce)
    }

    private func reportProgress(to continuation: AsyncThrowingStream<MapReduceProgress, any Error>.Continuation) async throws {
        let keys = keys
        let mapReduce = mapReduce
        let last = LastProgress()
        try await NoticeWaiter.wait(on: mapReduce.client, channel: keys.notices, timeout: nil) { subscribed -> Check<Void> in
            guard subscribed else { return .notYet(recheckAfter: nil) }
            let progress = try await Self.progress(keys: keys, mapReduce: mapReduce)
            if last.replace(progress) { continuation.yield(progress) }
            return progress.isFinished ? .done(()) : .notYet(recheckAfter: .seconds(1))
        }
    }

    static func progress(keys: MapReduceKeys, mapReduce: MapReduce) async throws -> MapReduceProgress {
        let reply = try await mapReduce.client.evaluate(MapReduceScripts.snapshot, keys: [keys.spec],
                                                        arguments: [RedisArgument(keys.prefix)])
        guard case .array(.some(let fields)) = reply, fields.count == 9 else { throw MapReduceError.unexpectedReply("snapshot: \(reply)") }
        func number(_ index: Int) -> Int64 { fields[index].computeString.flatMap { Int64($0) } ?? 0 }
        guard let status = fields[0].computeString else { throw MapReduceError.notFound(id: keys.job) }
        let instance = try fields[4].computeBytes.map { try TaskCoding.decode(CoordinatorInstance.self, from: $0) }
        var phase = instance?.phase ?? .map
        if status == "done" { phase = .done } else if status == "failed" { phase = .failed }
        let end = status == "running" ? number(8) : max(number(3), number(2))
        let elapsed = max(end - number(2), 0)
        return MapReduceProgress(
            phase: phase, map: instance?.counts(.map) ?? MapReduceProgress.TaskCounts(),
            reduce: instance?.counts(.reduce) ?? MapReduceProgress.TaskCounts(),
            bytesIn: number(5), bytesOut: number(6), records: number(7),
            bytesPerSecond: elapsed > 0 ? Double(number(5)) * 1000 / Double(elapsed) : 0,
            liveWorkers: try await mapReduce.liveWorkers(), elapsed: .milliseconds(elapsed),
            error: status == "failed" ? fields[1].computeString : nil)
    }
}

/// The last progress reported, to report only changes.
private final class LastProgress: Sendable {
    private let last = NIOLockedValueBox<MapReduceProgress?>(nil)
    /// Records `progress`; returns whether it differs from the last one.
    func replace(_ progress: MapReduceProgress) -> Bool {
        last.withLockedValue { last in
            defer { last = progress }
            return last != progress
        }
    }
}
