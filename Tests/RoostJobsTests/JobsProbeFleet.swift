import Foundation
import Logging
import RoostClient
import RoostCoordination
import RoostJobs
import RoostTestSupport
import Testing

/// The servers the fault tests run on, with what the probes need to reach them.
enum FaultServer: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case roost, redis, cluster

    var testDescription: String { rawValue }

    static var available: [FaultServer] {
        var kinds: [FaultServer] = [.roost]
        if RedisServerProcess.isAvailable { kinds.append(.redis) }
        if RedisClusterProcess.isAvailable { kinds.append(.cluster) }
        return kinds
    }

    static var logger: Logger {
        var logger = Logger(label: "roost.jobs.fault-test")
        logger.logLevel = .critical
        return logger
    }

    /// A running server of this kind: a client for the test, and the probes' arguments for it.
    struct Running: Sendable {
        var client: any CoordinationClient
        var probeArguments: [String]
    }

    /// Runs `body` with a fresh server of this kind; stops it afterwards.
    func with(_ body: @Sendable (Running) async throws -> Void) async throws {
        switch self {
        case .roost:
            let server = try await RoostTestServer.start()
            do {
                try await Self.withClient(port: server.port, body)
                try await server.stop()
            } catch {
                try? await server.stop()
                throw error
            }
        case .redis:
            let server = try await RedisServerProcess.start()
            defer { server.stop() }
            try await Self.withClient(port: server.port, body)
        case .cluster:
            let cluster = try await RedisClusterProcess.start()
            defer { cluster.stop() }
            var node = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: cluster.ports[0]))
            node.commandTimeout = .seconds(30)
            let client = RedisClusterClient(configuration: RedisClusterConfiguration(
                seeds: cluster.ports.map { RedisClusterNodeAddress(host: "127.0.0.1", port: $0) }, node: node), logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                try await body(Running(client: client, probeArguments: ["--cluster", cluster.ports.map(String.init).joined(separator: ",")]))
            }
        }
    }

    private static func withClient(port: Int, _ body: @Sendable (Running) async throws -> Void) async throws {
        var configuration = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        configuration.commandTimeout = .seconds(30)
        let client = RedisClient(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            try await body(Running(client: client, probeArguments: ["--port", "\(port)"]))
        }
    }
}

/// `roost-jobs-probe` worker processes in numbered slots, each logging to its own file in a
/// fresh folder. A slot's probe can be killed and replaced; the fleet remembers whom it killed.
/// Used from one test task.
final class JobsProbeFleet {
    static let executableName = "roost-jobs-probe"
    static var executable: String? { ProbeProcess.executable(named: executableName) }

    private let executable: String
    private let arguments: [String]
    let directory: String
    /// The probe in each slot (the latest one started there).
    private(set) var probes: [ProbeProcess] = []
    /// Every probe ever started, replaced ones included.
    private(set) var everyProbe: [ProbeProcess] = []
    /// The pids of the probes killed.
    private(set) var killed: Set<Int> = []

    /// Starts `count` probes with `arguments` (server, queue, timings).
    init(count: Int, arguments: [String]) throws {
        executable = try #require(Self.executable, "\(Self.executableName) is not built (swift build --build-tests builds it)")
        self.arguments = arguments
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-jobs-fault-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            for _ in 0..<count { probes.append(try launch()) }
        } catch {
            stop()
            throw error
        }
    }

    private func launch() throws -> ProbeProcess {
        let probe = try ProbeProcess(executable: executable, arguments: arguments,
                                     outputPath: "\(directory)/probe-\(everyProbe.count).log")
        everyProbe.append(probe)
        return probe
    }

    /// Starts one more probe in a new slot; returns it.
    @discardableResult
    func add() throws -> ProbeProcess {
        probes.append(try launch())
        return probes[probes.count - 1]
    }

    /// kill -9s the probe in `slot` (reaped when this returns) and starts a replacement there;
    /// returns the killed pid.
    @discardableResult
    func killAndReplace(_ slot: Int) throws -> Int {
        let victim = probes[slot]
        kill(victim)
        probes[slot] = try launch()
        return Int(victim.pid)
    }

    /// kill -9s `probe` (reaped when this returns) and records it as killed.
    func kill(_ probe: ProbeProcess) {
        probe.kill9()
        killed.insert(Int(probe.pid))
    }

    /// Kills every probe and removes the folder.
    func stop() {
        for probe in everyProbe { probe.kill9() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The end of every probe's output that is not empty, for a failure message.
    var transcript: String {
        everyProbe.compactMap { probe in
            let lines = probe.output.split(separator: "\n").suffix(20)
            return lines.isEmpty ? nil : "--- pid \(probe.pid)\n" + lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

/// What the probes record on the server for a queue (see Tests/roost-jobs-probe/main.swift).
struct ProbeRecords: Sendable {
    let starts, effects, effectLog, refused: RedisKey

    init(queue: String) {
        let base = "roost:probe:{\(queue)}:"
        starts = RedisKey(base + "starts")
        effects = RedisKey(base + "effects")
        effectLog = RedisKey(base + "effect-log")
        refused = RedisKey(base + "refused")
    }

    /// The records in list `key`, in order.
    func records(_ key: RedisKey, on client: any CoordinationClient) async throws -> [AttemptRecord] {
        let reply = try await client.execute(RedisCommand("LRANGE", [key, "0", "-1"]), timeout: nil)
        return try [String](fromRESP: reply).compactMap { AttemptRecord($0) }
    }

    /// The fenced store: job id → the standing effect's token.
    func effects(on client: any CoordinationClient) async throws -> [String: Int64] {
        let reply = try await client.execute(RedisCommand("HGETALL", [effects]), timeout: nil)
        return try [String: String](fromRESP: reply).compactMapValues { Int64($0) }
    }
}
