import NIOCore
import RoostClient
import RoostJobs

extension Compute {
    /// Submits `task` with `arguments` and returns its handle. A deterministic task whose
    /// output is kept, or whose job is still in the queue, is not run again: the handle is the
    /// earlier submission's.
    /// - Throws: encoding errors, RoostJobs' enqueue errors, client errors.
    public func submit<Arguments, Output>(_ task: ComputeTask<Arguments, Output>, _ arguments: Arguments) async throws
        -> TaskHandle<Output> {
        let encoded = try TaskCoding.encode(arguments)
        let id = task.isDeterministic ? Self.contentAddress(task.name, task.version, encoded) : Self.randomID()
        let published = task.isDeterministic ? try await client.get(keys.result(id)) != nil : false
        if !published {
            try await enqueue(id, task: task.name, version: task.version, arguments: encoded, options: task.options)
        }
        return TaskHandle(id: id, name: task.name, compute: self)
    }

    /// Submits `task` once per element of `arguments` (concurrently); the handles are in the
    /// same order.
    /// - Throws: as `submit(_:_:)`; tasks submitted before the error stay submitted.
    public func submit<Arguments, Output>(_ task: ComputeTask<Arguments, Output>, each arguments: [Arguments]) async throws
        -> [TaskHandle<Output>] {
        try await withThrowingTaskGroup(of: (Int, TaskHandle<Output>).self) { group in
            var handles = [TaskHandle<Output>?](repeating: nil, count: arguments.count)
            var next = 0
            func add() {
                let index = next
                group.addTask { (index, try await self.submit(task, arguments[index])) }
                next += 1
            }
            while next < min(arguments.count, 64) { add() }
            while let (index, handle) = try await group.next() {
                handles[index] = handle
                if next < arguments.count { add() }
            }
            return handles.map { $0! }
        }
    }

    /// Submits `task` with the output of `dependency` as its arguments: it runs once that is
    /// published (at once if it already is). If `dependency` fails, awaiting this task throws
    /// `ComputeError.dependencyFailed`.
    /// - Throws: encoding errors, RoostJobs' enqueue errors, client errors.
    public func submit<Arguments, Output>(_ task: ComputeTask<Arguments, Output>, after dependency: TaskHandle<Arguments>)
        async throws -> TaskHandle<Output> {
        try await submitDependent(task, on: [dependency.id], gathers: false)
    }

    /// Submits `task` with the array of `dependencies`' outputs (in order) as its arguments: it
    /// runs once all of them are published. If one fails, awaiting this task throws
    /// `ComputeError.dependencyFailed`.
    /// - Throws: encoding errors, RoostJobs' enqueue errors, client errors.
    public func submit<Element, Output>(_ task: ComputeTask<[Element], Output>, afterAll dependencies: [TaskHandle<Element>])
        async throws -> TaskHandle<Output> {
        try await submitDependent(task, on: dependencies.map(\.id), gathers: true)
    }

    /// A handle for task `id` (of task `name`), as another process submitted it.
    public func handle<Output>(id: String, name: String, as type: Output.Type) -> TaskHandle<Output> {
        TaskHandle(id: id, name: name, compute: self)
    }

    private func submitDependent<Arguments, Output>(_ task: ComputeTask<Arguments, Output>, on dependencies: [String],
                                                    gathers: Bool) async throws -> TaskHandle<Output> {
        let address = Array(((gathers ? "all:" : "one:") + dependencies.joined(separator: ",")).utf8)
        let id = task.isDeterministic ? Self.contentAddress(task.name, task.version, address) : Self.randomID()
        let record = TaskRecord(name: task.name, version: task.version, dependencies: dependencies, gathers: gathers,
                                options: task.options)
        let waiting = try await run(ComputeScripts.link, [RedisArgument(id), RedisArgument(bytes: try TaskCoding.encode(record)),
                                                          RedisArgument(resultMilliseconds)] + dependencies.map { RedisArgument($0) })
        guard case .integer(let count) = waiting else { throw ComputeError.unexpectedReply("link: \(waiting)") }
        if count == 0 { try await enqueueReady(id) }
        return TaskHandle(id: id, name: task.name, compute: self)
    }

    /// Enqueues dependent task `id` if all its inputs are published (idempotent: the job id is
    /// the task id). Called by the submitter and by every worker that publishes one of its inputs.
    func enqueueReady(_ id: String) async throws {
        guard let recordBytes = try await client.get(keys.task(id)) else { return }
        let record = try TaskCoding.decode(TaskRecord.self, from: Array(buffer: recordBytes))
        let replies = try await client.pipeline(record.dependencies.map { .get(keys.result($0)) }, timeout: nil)
        var outputs: [[UInt8]] = []
        for reply in replies {
            guard case .bulkString(.some(let output)) = try reply.get() else { return }
            outputs.append(output)
        }
        let arguments = record.gathers ? Array("[".utf8) + Array(outputs.joined(separator: Array(",".utf8))) + Array("]".utf8)
                                       : outputs[0]
        try await enqueue(id, task: record.name, version: record.version, arguments: arguments, options: record.options)
    }

    private func enqueue(_ id: String, task: String, version: Int, arguments: [UInt8], options: TaskOptions) async throws {
        try await queue.enqueue(ComputeJob(task: task, version: version, arguments: String(decoding: arguments, as: UTF8.self)),
                                options: EnqueueOptions(id: id, maxAttempts: options.maxAttempts, backoff: options.backoff,
                                                        timeout: options.timeout))
    }

    /// `d` and the SHA-256 of name, version and encoded arguments.
    static func contentAddress(_ name: String, _ version: Int, _ arguments: [UInt8]) -> String {
        "d" + TaskDigest.sha256Hex(Array("\(name)\u{0}\(version)\u{0}".utf8) + arguments)
    }

    /// `t` and 128 random bits in hex.
    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "t" + [generator.next() as UInt64, generator.next() as UInt64]
            .map { String($0, radix: 16).leftPadded(to: 16) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(width - count, 0)) + self
    }
}

extension Array where Element == UInt8 {
    /// The readable bytes of `buffer`.
    init(buffer: ByteBuffer) {
        self = buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? []
    }
}
