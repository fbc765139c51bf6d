import NIOConcurrencyHelpers
import RoostClient

/// One partition as a worker works it: the partition's view of the queue and the batcher of
/// its completions.
struct WorkerLane: Sendable {
    /// The partition's number.
    let index: Int
    let queue: JobQueue
    let completions: CompletionBatcher
}

/// A worker's partitions (one lane for an unpartitioned queue) and where its next take
/// starts.
struct WorkerLanes: Sendable {
    let all: [WorkerLane]
    private let rotation = NIOLockedValueBox(0)

    init(queue: JobQueue) {
        let views = queue.spansPartitions ? queue.partitions : [queue]
        all = views.enumerated().map { WorkerLane(index: $0.offset, queue: $0.element, completions: CompletionBatcher(queue: $0.element)) }
    }

    /// Makes the next take start at partition `index` (whose wake-up list woke the worker),
    /// and the rotation go on from there.
    func startNext(at index: Int) {
        rotation.withLockedValue { $0 = index % max(all.count, 1) }
    }

    /// The lanes in the order the next take visits them: each take starts one partition
    /// further, so every partition is first in turn and none starves.
    func nextOrder() -> [WorkerLane] {
        guard all.count > 1 else { return all }
        let start = rotation.withLockedValue { value in
            defer { value = (value + 1) % all.count }
            return value
        }
        return (0..<all.count).map { all[(start + $0) % all.count] }
    }
}

/// A running attempt's identity in its worker: tokens count per partition.
struct AttemptKey: Hashable, Sendable {
    var lane: Int
    var token: Int64
}

extension Worker {
    /// Takes up to `count` jobs, visiting the partitions from the next one in turn until
    /// `count` are taken or each was asked once; when none, returns the ms until the first
    /// partition has something due (-1: nothing scheduled).
    func takeFromLanes(_ count: Int) async throws -> ([TakenJob], Int64) {
        var jobs: [TakenJob] = []
        var wait: Int64 = -1
        for lane in lanes.nextOrder() where jobs.count < count {
            let (taken, due) = try await take(count - jobs.count, from: lane)
            jobs += taken
            if due >= 0 && (wait < 0 || due < wait) { wait = due }
        }
        return (jobs, jobs.isEmpty ? wait : -1)
    }

    /// Blocks until some partition's wake-up list has a token, or `timeout` passes. One
    /// `BLPOP` over every partition's list where the server allows it (Roost, Redis); on a
    /// cluster, whose `BLPOP` takes keys of one slot, one `BLPOP` per partition at once
    /// (each on its master's blocking connection), the first to return ending the others.
    /// The next take starts at the partition that woke it.
    func waitForWakeUp(timeout: Duration?) async throws {
        let client = queue.client
        let markers = lanes.all.map(\.queue.keys.marker)
        guard markers.count > 1, client is RedisClusterClient else {
            let popped = try await client.blpop(markers, timeout: timeout)
            if let key = popped?.key, markers.count > 1,
               let index = markers.firstIndex(where: { $0.bytes.readableBytesView.elementsEqual(key.readableBytesView) }) {
                lanes.startNext(at: index)
            }
            return
        }
        let woken = try await withThrowingTaskGroup(of: Int?.self) { group in
            for (index, marker) in markers.enumerated() {
                group.addTask { try await client.blpop([marker], timeout: timeout) == nil ? nil : index }
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        if let woken { lanes.startNext(at: woken) }
    }

    /// Checks the queue's partition count before working, retrying while the server cannot be
    /// reached.
    /// - Throws: `JobsError.partitionMismatch`, `CancellationError`.
    func checkPartitions() async throws {
        while true {
            do {
                return try await queue.checkPartitions()
            } catch let error as JobsError {
                throw error
            } catch {
                try Task.checkCancellation()
                logger.warning("checking the queue failed; trying again", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
