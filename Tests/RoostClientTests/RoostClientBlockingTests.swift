import NIOCore
import RoostClient
import RoostTestSupport
import Testing

/// Reading the server's view of its clients, to order events without sleeps.
enum BlockedClients {
    /// `CLIENT LIST` of `executor`'s server.
    static func listing(_ executor: some RedisCommandExecutor) -> @Sendable () async throws -> String {
        { try await executor.send("CLIENT", "LIST", as: String.self) }
    }

    /// `CLIENT LIST` of the cluster node at `port`.
    static func listing(_ cluster: RedisClusterProcess, port: Int) -> @Sendable () async throws -> String {
        { try cluster.command(port: port, ["CLIENT", "LIST"]) }
    }

    /// The ids of the clients blocked in a command (`flags` holds `b`) in a `CLIENT LIST` text.
    static func ids(in list: String) -> [Int] {
        list.split(whereSeparator: \.isNewline).compactMap { line -> Int? in
            var fields: [Substring: Substring] = [:]
            for field in line.split(separator: " ") {
                guard let equals = field.firstIndex(of: "=") else { continue }
                fields[field[..<equals]] = field[field.index(after: equals)...]
            }
            guard fields["flags"]?.contains("b") == true else { return nil }
            return fields["id"].flatMap { Int($0) }
        }
    }

    /// The ids of the clients blocked on `executor`'s server.
    static func ids(_ executor: some RedisCommandExecutor) async throws -> [Int] {
        ids(in: try await listing(executor)())
    }

    /// Waits until exactly `count` clients are blocked on `executor`'s server and returns their ids.
    @discardableResult
    static func waitFor(_ count: Int, on executor: some RedisCommandExecutor) async throws -> [Int] {
        try await waitFor(count, listing: listing(executor))
    }

    /// Waits until exactly `count` clients are blocked, polling `listing`, and returns their ids.
    /// The deadline only bounds a failing test: it is long because the whole suite, run in
    /// parallel on two cores, can hold a task back for tens of seconds.
    @discardableResult
    static func waitFor(_ count: Int, listing: () async throws -> String,
                        timeout: Duration = .seconds(180)) async throws -> [Int] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let ids = ids(in: try await listing())
            if ids.count == count { return ids }
            guard ContinuousClock.now < deadline else {
                throw BlockedClientsTimeout(description: "\(ids.count) clients blocked, not \(count), after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

private func text(_ buffer: ByteBuffer?) -> String? { buffer.map { String(buffer: $0) } }

@Suite("RoostClient blocking commands")
struct RoostClientBlockingTests {
    static let protocols: [RedisClientConfiguration.ProtocolPreference] = [.resp3, .resp2]

    /// Runs `call`, waits until the server shows it blocked, runs `push`, and returns the call's result.
    private static func whenBlocked<T: Sendable>(_ client: RedisClient, _ call: @escaping @Sendable () async throws -> T,
                                                 then push: () async throws -> Void) async throws -> T {
        let task = Task { try await call() }
        do {
            try await BlockedClients.waitFor(1, on: client)
            try await push()
            return try await task.value
        } catch {
            task.cancel()
            throw error
        }
    }

    @Test(arguments: TestServerKind.available, protocols)
    func eachCommandReturnsPushedDataAndNilAfterItsTimeout(_ kind: TestServerKind,
                                                           _ preference: RedisClientConfiguration.ProtocolPreference) async throws {
        try await ClientTestServers.with(kind, configure: { $0.protocolPreference = preference }) { client in
            // Long enough that a starved test still pushes before the server gives up.
            let wait = Duration.seconds(300)
            let moved = try await Self.whenBlocked(client, { try await client.blmove(from: "src", to: "dst", .left, .right, timeout: wait) }) {
                try await client.rpush("src", ["a"])
            }
            #expect(text(moved) == "a")
            let pushed = try await Self.whenBlocked(client, { try await client.brpoplpush(from: "src", to: "dst", timeout: wait) }) {
                try await client.rpush("src", ["b"])
            }
            #expect(text(pushed) == "b")
            #expect(try await client.lrange("dst", 0, -1, as: String.self) == ["b", "a"])

            let left = try await Self.whenBlocked(client, { try await client.blpop(["l1", "l2"], timeout: wait) }) {
                try await client.rpush("l2", ["x", "y"])
            }
            #expect(text(left?.key) == "l2")
            #expect(text(left?.element) == "x")
            let right = try await Self.whenBlocked(client, { try await client.brpop(["l3"], timeout: nil) }) {
                try await client.rpush("l3", ["p", "q"])
            }
            #expect(text(right?.element) == "q")
            let several = try await Self.whenBlocked(client, { try await client.blmpop(["m1", "m2"], from: .left, count: 2, timeout: wait) }) {
                try await client.rpush("m2", ["1", "2", "3"])
            }
            #expect(text(several?.key) == "m2")
            #expect(several?.elements.map { String(buffer: $0) } == ["1", "2"])

            let lowest = try await Self.whenBlocked(client, { try await client.bzpopmin(["z1", "z2"], timeout: wait) }) {
                try await client.zadd("z2", [(score: 2.5, member: "two"), (score: 1, member: "one")])
            }
            #expect(text(lowest?.key) == "z2")
            #expect(text(lowest?.member) == "one")
            #expect(lowest?.score == 1)
            let highest = try await Self.whenBlocked(client, { try await client.bzpopmax(["z3"], timeout: wait) }) {
                try await client.zadd("z3", [(score: 2.5, member: "two"), (score: 1, member: "one")])
            }
            #expect(text(highest?.member) == "two")
            #expect(highest?.score == 2.5)
            let popped = try await Self.whenBlocked(client, { try await client.bzmpop(["z4"], .min, count: 2, timeout: wait) }) {
                try await client.zadd("z4", [(score: 3, member: "c"), (score: 1, member: "a"), (score: 2, member: "b")])
            }
            #expect(text(popped?.key) == "z4")
            #expect(popped?.members.map { String(buffer: $0.member) } == ["a", "b"])
            #expect(popped?.members.map(\.score) == [1, 2])

            // Each returns nil once its timeout (sent as fractional seconds) has passed.
            let short = Duration.milliseconds(30)
            let start = ContinuousClock.now
            #expect(try await client.blmove(from: "none", to: "dst", .left, .right, timeout: short) == nil)
            #expect(try await client.brpoplpush(from: "none", to: "dst", timeout: short) == nil)
            #expect(try await client.blpop(["none"], timeout: short) == nil)
            #expect(try await client.brpop(["none"], timeout: short) == nil)
            #expect(try await client.blmpop(["none"], from: .right, timeout: short) == nil)
            #expect(try await client.bzpopmin(["none"], timeout: short) == nil)
            #expect(try await client.bzpopmax(["none"], timeout: short) == nil)
            #expect(try await client.bzmpop(["none"], .max, timeout: short) == nil)
            #expect(ContinuousClock.now - start >= short * 8)
            // One caller at a time: every call reused the same dedicated connection.
            #expect(await client.blockingConnectionCount == 1)
        }
    }

    @Test(arguments: TestServerKind.available)
    func aPoolOfOneServesOtherCommandsWhileFiveCallsBlock(_ kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind, configure: { $0.pool.maximumConnections = 1 }) { client in
            try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<5 {
                    group.addTask { text(try await client.blmove(from: "jobs", to: "taken", .left, .right, timeout: nil)) }
                }
                try await BlockedClients.waitFor(5, on: client)
                for i in 1...20 { #expect(try await client.incr("counter") == i) }
                #expect(try await client.ping() == "PONG")
                #expect(await client.openConnectionCount == 1)
                #expect(await client.blockingConnectionCount == 5)
                try await client.rpush("jobs", ["j1", "j2", "j3", "j4", "j5"])
                var taken: [String] = []
                for try await job in group { taken.append(try #require(job)) }
                #expect(taken.sorted() == ["j1", "j2", "j3", "j4", "j5"])
            }
            #expect(try await client.llen("taken") == 5)
        }
    }

    @Test(arguments: TestServerKind.available)
    func cancellingABlockedMoveLeavesTheClientUsableAndLosesNothing(_ kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind) { client in
            let blocked = Task { try await client.blmove(from: "src", to: "dst", .left, .right, timeout: nil) }
            let firstID = try await BlockedClients.waitFor(1, on: client)
            blocked.cancel()
            await #expect {
                try await blocked.value
            } throws: { error in
                (error as? RedisClientError)?.code == .cancelled
            }
            // Unblocked on the server, and the connection kept for the next call.
            try await BlockedClients.waitFor(0, on: client)
            #expect(await client.blockingConnectionCount == 1)
            try await client.rpush("src", ["kept"])
            #expect(text(try await client.blmove(from: "src", to: "dst", .left, .right, timeout: .seconds(5))) == "kept")
            #expect(await client.blockingConnectionCount == 1)
            try await client.del("dst")

            // Cancellations racing with pushes, and with the command's own sending: every element
            // ends up either moved and returned to its caller, or still in its source.
            var returned: [String] = []
            var pushed: [String] = []
            let rounds = 30
            for round in 0..<rounds {
                let source = RedisKey("src\(round)")
                let task = Task { try await client.blmove(from: source, to: "dst", .left, .right, timeout: nil) }
                if round.isMultiple(of: 3) {
                    task.cancel()
                } else {
                    try await BlockedClients.waitFor(1, on: client)
                    pushed.append("e\(round)")
                    async let push = client.rpush(source, ["e\(round)"])
                    task.cancel()
                    _ = try await push
                }
                do {
                    if let element = try await task.value { returned.append(String(buffer: element)) }
                } catch let error as RedisClientError where error.code == .cancelled {
                } catch is CancellationError {
                }
                try await BlockedClients.waitFor(0, on: client)
            }
            let moved = try await client.lrange("dst", 0, -1, as: String.self)
            var left: [String] = []
            for round in 0..<rounds { left += try await client.lrange(RedisKey("src\(round)"), 0, -1, as: String.self) }
            #expect(moved.sorted() == returned.sorted())
            #expect((moved + left).sorted() == pushed.sorted())
            // Every cancellation was an unblock, never a closed connection: the same one still serves.
            let last = Task { try await client.blmove(from: "src", to: "dst", .left, .right, timeout: nil) }
            #expect(try await BlockedClients.waitFor(1, on: client) == firstID)
            try await client.rpush("src", ["last"])
            #expect(text(try await last.value) == "last")
            #expect(try await client.incr("still-usable") == 1)
        }
    }

    @Test(arguments: TestServerKind.available)
    func aKilledConnectionFailsTheBlockedCallAndTheNextCallReconnects(_ kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind) { client in
            let blocked = Task { try await client.blmove(from: "src", to: "dst", .left, .right, timeout: nil) }
            let ids = try await BlockedClients.waitFor(1, on: client)
            #expect(try await client.send("CLIENT", "KILL", "ID", ids[0], as: Int.self) == 1)
            await #expect {
                try await blocked.value
            } throws: { error in
                (error as? RedisClientError)?.code == .connectionClosed
            }
            // It was not sent again: nothing waits on the server, and the element pushed now stays.
            #expect(try await BlockedClients.ids(client).isEmpty)
            try await client.rpush("src", ["x"])
            #expect(try await client.llen("src") == 1)
            // The next call opens a new connection and works.
            #expect(text(try await client.blmove(from: "src", to: "dst", .left, .right, timeout: .seconds(5))) == "x")
            #expect(await client.blockingConnectionCount == 1)
        }
    }

    @Test(arguments: TestServerKind.available)
    func aClientDeadlineUnblocksTheCommandAndKeepsTheConnection(_ kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind) { client in
            // The server would wait for ever; the client's own deadline ends the wait.
            await #expect {
                try await client.execute(RedisCommand("BLPOP", "q", "0"), timeout: .milliseconds(50))
            } throws: { error in
                (error as? RedisClientError)?.code == .timeout
            }
            try await BlockedClients.waitFor(0, on: client)
            #expect(await client.blockingConnectionCount == 1)
            try await client.rpush("q", ["kept"])
            #expect(text(try await client.blpop(["q"], timeout: .seconds(5))?.element) == "kept")
            #expect(await client.blockingConnectionCount == 1)
        }
    }

    @Test(.enabled(if: ClientTestServers.redisAvailable))
    func anUnsentCallIsCancelledBeforeLeasing() async throws {
        try await ClientTestServers.withRedis { _, client in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.blpop(["q"], timeout: nil)
            }
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(await client.blockingConnectionCount == 0)
        }
    }
}

@Suite("RoostClient blocking commands on a Redis Cluster", .serialized, .enabled(if: ClusterTestSupport.available))
struct RoostClientClusterBlockingTests {
    @Test func blockingCommandsRunOnTheSlotOwnersDedicatedConnection() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let owner = try cluster.masterPort(forSlot: Int(RedisHashSlot(key: "queue").rawValue))
            let ownerList = BlockedClients.listing(cluster, port: owner)

            let moving = Task { try await client.blmove(from: "{queue}:ready", to: "{queue}:taken", .left, .right, timeout: nil) }
            try await BlockedClients.waitFor(1, listing: ownerList)
            try await client.rpush("{queue}:ready", ["job"])
            #expect(text(try await moving.value) == "job")
            #expect(try await client.lrange("{queue}:taken", 0, -1, as: String.self) == ["job"])

            let popping = Task { try await client.blmpop(["{queue}:a", "{queue}:b"], from: .left, timeout: .seconds(300)) }
            try await BlockedClients.waitFor(1, listing: ownerList)
            try await client.rpush("{queue}:b", ["b1"])
            #expect(text(try await popping.value?.elements.first) == "b1")

            // Cancelled: unblocked on the owner by a command sent to that same node.
            let scored = Task { try await client.bzpopmin(["{queue}:delayed"], timeout: nil) }
            try await BlockedClients.waitFor(1, listing: ownerList)
            scored.cancel()
            await #expect {
                try await scored.value
            } throws: { error in
                (error as? RedisClientError)?.code == .cancelled
            }
            try await BlockedClients.waitFor(0, listing: ownerList)
            try await client.zadd("{queue}:delayed", [(score: 1, member: "later")])
            #expect(text(try await client.bzpopmin(["{queue}:delayed"], timeout: .seconds(5))?.member) == "later")

            await #expect {
                try await client.blmove(from: "a", to: "b", .left, .right, timeout: .milliseconds(10))
            } throws: { error in
                (error as? RedisClientError)?.code == .crossSlot
            }
        }
    }
}

/// The expected number of clients did not show as blocked in time.
struct BlockedClientsTimeout: Error, CustomStringConvertible {
    let description: String
}
