import Foundation
import RoostJobs

/// A named Swift function that runs as a distributed task: `Codable` arguments in, a `Codable`
/// output back.
///
///     let square = ComputeTask("square", deterministic: true) { (x: Int) async throws -> Int in x * x }
///     registry.register(square)                       // in worker processes
///     let handle = try await compute.submit(square, 7) // anywhere
///     let fortyNine = try await handle.value
///
/// Producers and workers agree on the `name` and `version` (and on the types); a process that
/// only submits can declare the task without a body (`init(_:version:deterministic:options:arguments:output:)`).
///
/// A **deterministic** task's result depends only on its name, version and arguments: its id is
/// the SHA-256 of the three, so submitting it again (anywhere, while the result is kept) returns
/// the one result instead of computing it again. Bump `version` when the function changes.
public struct ComputeTask<Arguments: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    /// The task's name, unique within a `Compute` namespace together with `version`.
    public let name: String
    /// The function's version: results of another version are never reused.
    public let version: Int
    /// Whether results are content-addressed (see the type's documentation).
    public let isDeterministic: Bool
    /// How submissions of the task are tried.
    public let options: TaskOptions
    let body: (@Sendable (Arguments) async throws -> Output)?

    /// A task that runs `body`.
    public init(_ name: String, version: Int = 1, deterministic: Bool = false, options: TaskOptions = TaskOptions(),
                _ body: @escaping @Sendable (Arguments) async throws -> Output) {
        self.name = name
        self.version = version
        self.isDeterministic = deterministic
        self.options = options
        self.body = body
    }

    /// A declaration of a task that other processes implement: it can be submitted, not
    /// registered.
    public init(_ name: String, version: Int = 1, deterministic: Bool = false, options: TaskOptions = TaskOptions(),
                arguments: Arguments.Type, output: Output.Type) {
        self.name = name
        self.version = version
        self.isDeterministic = deterministic
        self.options = options
        self.body = nil
    }
}

/// How a task's attempts are made: RoostJobs' retry rules.
public struct TaskOptions: Sendable, Hashable, Codable {
    /// How many attempts a task gets before it fails for good (at least 1).
    public var maxAttempts: Int
    /// The delay between attempts.
    public var backoff: Backoff
    /// How long one attempt may run before it is cancelled and fails; nil: no limit.
    public var timeout: Duration?

    /// Options with at least one attempt.
    public init(maxAttempts: Int = 3, backoff: Backoff = .exponential(base: .milliseconds(500)), timeout: Duration? = nil) {
        self.maxAttempts = max(maxAttempts, 1)
        self.backoff = backoff
        self.timeout = timeout
    }
}

/// Encoding of arguments and results: JSON with sorted keys, so that equal arguments encode to
/// equal bytes (the content address of a deterministic task depends on it).
enum TaskCoding {
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
