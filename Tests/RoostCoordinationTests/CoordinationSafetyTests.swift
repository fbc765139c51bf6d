import Foundation
import RoostClient
import RoostCoordination
import RoostRESP
import RoostTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Safety with real processes: lock and semaphore holders run as `roost-coordination-probe`
/// child processes that the tests SIGSTOP past their lease, kill -9 mid-critical-section, or
/// keep running while the cluster master that owns the lock's slot is killed. The probes'
/// logs and the server's fenced history are then checked: no stale write accepted, no two
/// holders whose leases were valid inside at once (at most N for a semaphore), and no lost
/// update of the fenced counter.
@Suite("Coordination safety with real processes", .serialized)
struct CoordinationSafetyTests {
    /// The single-server backends; the probes connect over TCP.
    enum Server: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case roost, redis

        var testDescription: String { rawValue }

        static var available: [Server] { RedisServerProcess.isAvailable ? [.roost, .redis] : [.roost] }

        /// Runs `body` with the port of a fresh server of this kind.
        func with(_ body: @Sendable (Int) async throws -> Void) async throws {
            switch self {
            case .roost:
                let server = try await RoostTestServer.start()
                do {
                    try await body(server.port)
                    try await server.stop()
                } catch {
                    try? await server.stop()
                    throw error
                }
            case .redis:
                let server = try await RedisServerProcess.start()
                defer { server.stop() }
                try await body(server.port)
            }
        }
    }

    static var probeMissing: Comment { "roost-coordination-probe is not built (swift build --build-tests)" }

    /// The probes' common arguments.
    static func arguments(port: Int, name: String, leaseMilliseconds: Int, iterations: Int, holdMilliseconds: Int) -> [String] {
        ["--port", "\(port)", "--name", name, "--lease-ms", "\(leaseMilliseconds)", "--iterations", "\(iterations)",
         "--hold-ms", "\(holdMilliseconds)", "--deadline-s", "150"]
    }

    // MARK: - SIGSTOP past the lease

    @Test("A holder SIGSTOPped past its lease is fenced off when resumed", arguments: Server.available)
    func pausedHolderIsFencedOff(_ server: Server) async throws {
        try #require(SafetyProbe.executable != nil, Self.probeMissing)
        try await server.with { port in
            let name = "safety-stop"
            let group = try SafetyProbeGroup(count: 3, arguments: Self.arguments(
                port: port, name: name, leaseMilliseconds: 1000, iterations: 6, holdMilliseconds: 250))
            defer { group.stop() }
            let (paused, token) = try await Self.pauseHolderMidSection(group)

            // Another holder gets the lock once the paused holder's lease ran out on the server,
            // and writes with its higher token.
            try await eventually(timeout: .seconds(30), "another holder to write after the lease ran out") {
                group.events.contains { $0.kind == "wrote" && $0.pid != paused.pid && $0.token > token }
            }
            paused.signal(SIGCONT)
            try await eventually(timeout: .seconds(30), "the resumed holder to be refused or cancelled") {
                group.events.contains { $0.pid == paused.pid && $0.token == token && ($0.kind == "stale" || $0.kind == "abort") }
            }
            let statuses = try await group.waitForExit(of: group.probes, timeout: .seconds(120))
            #expect(statuses.values.allSatisfy { $0 == 0 }, "probe exit statuses \(statuses)")

            let history = SafetyHistory(events: group.events)
            let resumed = try #require(history.section(pid: Int(paused.pid), token: token))
            #expect(!resumed.has("counted") && !resumed.has("exit"),
                    "the resumed holder's counter step was accepted: \(resumed.events)")
            try await Self.checkLockSafety(history, port: port, name: name, group: group)
        }
    }

    /// SIGSTOPs a holder between its fenced write and its counter step (trying again with the
    /// next holder when the signal landed after it moved on), and returns it with its token.
    static func pauseHolderMidSection(_ group: SafetyProbeGroup) async throws -> (SafetyProbe, Int64) {
        var paused: (SafetyProbe, Int64)?
        try await eventually(timeout: .seconds(60), "a holder to be paused mid-section") {
            guard let (probe, token) = group.holderBetweenWriteAndCounter() else { return false }
            probe.signal(SIGSTOP)
            try await eventually(timeout: .seconds(10), "SIGSTOP to take effect") { probe.isStopped || probe.exitStatus != nil }
            let moved = probe.events.contains { $0.token == token && !["enter", "wrote"].contains($0.kind) }
            if moved || !probe.isStopped {
                probe.signal(SIGCONT)
                return false
            }
            paused = (probe, token)
            return true
        }
        return try #require(paused)
    }

    // MARK: - kill -9 mid-critical-section

    @Test("A holder killed mid-critical-section frees the lock after its lease; the others finish", arguments: Server.available)
    func killedHolderFreesTheLock(_ server: Server) async throws {
        try #require(SafetyProbe.executable != nil, Self.probeMissing)
        try await server.with { port in
            let name = "safety-kill"
            let lease = 1000
            let group = try SafetyProbeGroup(count: 4, arguments: Self.arguments(
                port: port, name: name, leaseMilliseconds: lease, iterations: 5, holdMilliseconds: 300))
            defer { group.stop() }
            var killed: [Int: Int64] = [:]
            var victim: (pid: Int, token: Int64, at: Int64)?
            try await eventually(timeout: .seconds(60), "a holder to be killed mid-section") {
                guard killed.count < 2, let (probe, token) = group.holderBetweenWriteAndCounter() else { return false }
                let at = probe.kill9()
                killed[Int(probe.pid)] = at
                // Landed mid-section unless the section had already ended.
                let section = SafetyHistory(events: probe.events).section(pid: Int(probe.pid), token: token)
                if section?.ended == true { return false }
                victim = (Int(probe.pid), token, at)
                return true
            }
            let (pid, token, at) = try #require(victim)

            // The next holder enters once the dead holder's lease has run out on the server.
            try await eventually(timeout: .milliseconds(lease) + .seconds(10), "another holder to enter after the kill") {
                group.events.contains { $0.kind == "enter" && $0.pid != pid && $0.token > token }
            }
            let next = try #require(group.events.filter { $0.kind == "enter" && $0.token > token }.min { $0.time < $1.time })
            let gap = Duration.nanoseconds(next.time - at)
            #expect(gap < .milliseconds(lease) + .seconds(5), "the next holder entered \(gap) after the kill")

            let survivors = group.probes.filter { killed[Int($0.pid)] == nil }
            let statuses = try await group.waitForExit(of: survivors, timeout: .seconds(120))
            #expect(statuses.values.allSatisfy { $0 == 0 }, "survivors' exit statuses \(statuses)")
            let history = SafetyHistory(events: group.events, killed: killed)
            for probe in survivors {
                #expect(history.events.filter { $0.pid == Int(probe.pid) && $0.kind == "exit" }.count >= 5,
                        "pid \(probe.pid) did not finish its iterations")
            }
            try await Self.checkLockSafety(history, port: port, name: name, group: group)
        }
    }

    // MARK: - Semaphore

    @Test("A semaphore of 2 never has more than 2 holders with valid permits, also past a SIGSTOP",
          arguments: Server.available)
    func semaphoreNeverExceedsItsPermits(_ server: Server) async throws {
        try #require(SafetyProbe.executable != nil, Self.probeMissing)
        try await server.with { port in
            let name = "safety-semaphore"
            let group = try SafetyProbeGroup(count: 5, arguments: Self.arguments(
                port: port, name: name, leaseMilliseconds: 1000, iterations: 4, holdMilliseconds: 150) + ["--semaphore", "2"])
            defer { group.stop() }
            // One holder pauses past its permit's lease; the others must not count it.
            let (paused, token) = try await Self.pauseHolderMidSection(group)
            try await eventually(timeout: .seconds(30), "two other holders at once after the paused permit expired") {
                let others = group.events.filter { $0.pid != paused.pid && $0.token > token }
                return SafetyHistory(events: others).concurrency(limit: 2).maximum >= 2
            }
            paused.signal(SIGCONT)
            let statuses = try await group.waitForExit(of: group.probes, timeout: .seconds(120))
            #expect(statuses.values.allSatisfy { $0 == 0 }, "probe exit statuses \(statuses)")

            let history = SafetyHistory(events: group.events)
            let (maximum, violations) = history.concurrency(limit: 2)
            #expect(violations.isEmpty, "\(violations)\n\(group.transcript)")
            #expect(maximum == 2, "the semaphore never admitted two holders at once")
            // Permits have fencing tokens too: the server never accepted a lower one after a higher one.
            let fenced = try await Self.fencedHistory(port: port, name: name)
            #expect(fenced.tokenDecreases.isEmpty, "\(fenced.tokenDecreases)")
            #expect(history.staleAcceptances.isEmpty, "\(history.staleAcceptances)")
        }
    }

    // MARK: - Cluster failover

    @Test("Fencing holds while the cluster master that owns the lock's slot fails over under load",
          .enabled(if: RedisClusterProcess.isAvailable, "redis-server and redis-cli are needed"))
    func fencingHoldsAcrossFailover() async throws {
        try #require(SafetyProbe.executable != nil, Self.probeMissing)
        let cluster = try await RedisClusterProcess.start()
        defer { cluster.stop() }
        let name = "safety-failover"
        let slot = Int(RedisHashSlot(key: "roost:lock:{\(name)}").rawValue)
        let master = try cluster.masterPort(forSlot: slot)
        let group = try SafetyProbeGroup(count: 3, arguments: [
            "--cluster", cluster.ports.map(String.init).joined(separator: ","), "--name", name, "--lease-ms", "1500",
            "--iterations", "25", "--hold-ms", "40", "--deadline-s", "150",
        ])
        defer { group.stop() }

        var node = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: cluster.ports[0]))
        node.commandTimeout = .seconds(20)
        let client = RedisClusterClient(configuration: RedisClusterConfiguration(
            seeds: cluster.ports.map { RedisClusterNodeAddress(host: "127.0.0.1", port: $0) }, node: node), logger: Backend.logger)
        let fence = RedisKey("roost:probe:{\(name)}:value")
        let outcome = try await withThrowingTaskGroup(of: FailoverOutcome?.self) { tasks in
            tasks.addTask {
                try await client.run()
                return nil
            }
            // The fence's highest token as the cluster reports it over time: it must never go down.
            tasks.addTask {
                var samples: [Int64] = []
                while !Task.isCancelled {
                    if let highest = try? await FencedStore(on: client).highestToken(fence) { samples.append(highest) }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return FailoverOutcome(samples: samples)
            }
            try await eventually(timeout: .seconds(60), "the probes to be under way") {
                group.events.filter { $0.kind == "counted" }.count >= 8
            }
            cluster.kill(port: master)
            try await eventually(timeout: .seconds(60), "a replica to take over the lock's slot") {
                guard let asking = cluster.livePorts.first else { return false }
                return (try? cluster.masterPort(forSlot: slot, askingPort: asking)).map { $0 != master } ?? false
            }
            let statuses = try await group.waitForExit(of: group.probes, timeout: .seconds(150))
            #expect(statuses.values.allSatisfy { $0 == 0 }, "probe exit statuses \(statuses)")
            var outcome = FailoverOutcome()
            outcome.fenced = try await Self.fencedHistory(client, name: name)
            outcome.highest = try await FencedStore(on: client).highestToken(fence)
            tasks.cancelAll()
            while true {
                do {
                    guard let partial = try await tasks.next() else { break }
                    if let partial { outcome.samples += partial.samples }
                } catch {
                    continue  // the client's run() ending on cancellation
                }
            }
            return outcome
        }

        let history = SafetyHistory(events: group.events)
        let fenced = outcome.fenced
        var violations = history.concurrency(limit: 1).violations + history.duplicateTokens + history.staleAcceptances
            + fenced.tokenDecreases + fenced.lostUpdates
        violations += zip(outcome.samples, outcome.samples.dropFirst()).filter { $0.1 < $0.0 }
            .map { "the fence's highest token went down from \($0.0) to \($0.1)" }
        // Redis replicates asynchronously: the promoted replica may lack the old master's last
        // acknowledged writes (a lock grant, a fenced write). Such losses are detected here.
        let onServer = Set(fenced.entries.map(\.text))
        let lost = history.countedEntries.filter { !onServer.contains($0) }
            + history.acceptedWrites.filter { $0.token > outcome.highest }.map { "fenced write of pid \($0.pid) token \($0.token)" }
        #expect(!history.countedEntries.isEmpty)
        if violations.isEmpty { return }
        let report = "safety violations after the failover:\n" + violations.joined(separator: "\n")
        if lost.isEmpty {
            Issue.record("\(report)\n\(group.transcript)")
        } else {
            // A known property of Redis (asynchronous replication), not of the lock: reported,
            // with the lost acknowledged writes that explain it.
            print("NOTE: \(report)\nacknowledged writes the failover lost: \(lost)")
            withKnownIssue("Redis Cluster failover lost acknowledged writes (asynchronous replication)", isIntermittent: true) {
                Issue.record("\(report)\nlost: \(lost)")
            }
        }
    }

    /// What the failover test collects from the cluster.
    struct FailoverOutcome: Sendable {
        var samples: [Int64] = []
        var fenced = FencedHistory(lines: [])
        var highest: Int64 = 0
    }

    // MARK: - Checks

    /// The lock's safety: one valid holder at a time, one holder per token, no stale write
    /// accepted, and the server's fenced counter went up by one per acknowledged step, with
    /// tokens that never went down.
    static func checkLockSafety(_ history: SafetyHistory, port: Int, name: String, group: SafetyProbeGroup) async throws {
        let (_, overlaps) = history.concurrency(limit: 1)
        #expect(overlaps.isEmpty, "\(overlaps)\n\(group.transcript)")
        #expect(history.duplicateTokens.isEmpty, "\(history.duplicateTokens)")
        #expect(history.staleAcceptances.isEmpty, "\(history.staleAcceptances)")
        let fenced = try await fencedHistory(port: port, name: name)
        #expect(fenced.tokenDecreases.isEmpty, "\(fenced.tokenDecreases)")
        #expect(fenced.lostUpdates.isEmpty, "\(fenced.lostUpdates)")
        // Every acknowledged step is on the server; an extra one can only be a killed holder's
        // whose acknowledgement never reached its log.
        let onServer = Set(fenced.entries.map(\.text))
        let acknowledged = history.countedEntries
        #expect(Set(acknowledged).isSubset(of: onServer), "acknowledged steps missing on the server")
        let unacknowledged = fenced.entries.filter { !acknowledged.contains($0.text) }
        #expect(unacknowledged.allSatisfy { history.killed[$0.pid] != nil }, "steps nobody acknowledged: \(unacknowledged)")
        #expect(!acknowledged.isEmpty)
    }

    /// The server's fenced counter history for the probes' resource `name`.
    static func fencedHistory(port: Int, name: String) async throws -> FencedHistory {
        var configuration = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        configuration.commandTimeout = .seconds(20)
        let client = RedisClient(configuration: configuration, logger: Backend.logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await fencedHistory(client, name: name)
        }
    }

    static func fencedHistory(_ client: any RedisCommandExecutor, name: String) async throws -> FencedHistory {
        let reply = try await client.execute(RedisCommand("LRANGE", [RedisKey("roost:probe:{\(name)}:history"), "0", "-1"]))
        guard case .array(let items?) = reply else { return FencedHistory(lines: []) }
        return FencedHistory(lines: items.compactMap {
            if case .bulkString(let bytes?) = $0 { return String(decoding: bytes, as: UTF8.self) }
            return nil
        })
    }
}

/// The checker itself, on made-up logs: it must see the violations it exists to find.
@Suite("SafetyHistory finds violations")
struct SafetyHistoryTests {
    static func events(_ lines: String) -> [ProbeEvent] { ProbeEvent.parse(lines + "\n") }

    @Test func overlappingValidHoldersAreReported() {
        let history = SafetyHistory(events: Self.events("""
            enter 1 1 100 1000
            exit 1 1 500 1000
            enter 2 2 400 1400
            exit 2 2 600 1400
            """))
        #expect(history.concurrency(limit: 1).violations.count == 1)
        #expect(history.concurrency(limit: 2).violations.isEmpty)
    }

    @Test func aHolderPastItsLeaseDoesNotCount() {
        let history = SafetyHistory(events: Self.events("""
            enter 1 1 100 300
            stale 1 1 900 300
            enter 2 2 400 1400
            exit 2 2 600 1400
            """))
        #expect(history.concurrency(limit: 1).violations.isEmpty)
    }

    @Test func staleAcceptedWritesAndDuplicateTokensAreReported() {
        let history = SafetyHistory(events: Self.events("""
            enter 1 5 100 1000
            wrote 1 5 150 1000 120
            enter 2 4 200 1000
            wrote 2 4 260 1000 210
            enter 3 5 300 1000
            """))
        #expect(history.staleAcceptances.count == 1)
        #expect(history.duplicateTokens == ["token 5 granted to pids [1, 3]"])
        let fenced = FencedHistory(lines: ["1 5 1", "2 4 1"])
        #expect(fenced.tokenDecreases.count == 1)
        #expect(fenced.lostUpdates.count == 1)
    }
}
