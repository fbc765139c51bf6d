import NIOCore
import RoostRESP
#if canImport(Glibc)
import Glibc
#endif

/// MIGRATE (Redis's `migrateCommand` in `cluster.c`): sends keys to another server as RESTORE
/// commands carrying DUMP payloads, and deletes them here once the target has acknowledged
/// them (unless COPY).
///
/// Like Redis, MIGRATE runs synchronously: the command holds the engine while it connects,
/// writes and reads, each step bounded by `timeout` milliseconds, so the keys cannot change
/// between being serialised and being deleted, and the caller's reply says exactly which keys
/// moved. Redis blocks its event loop the same way. As Redis, the connection to a target stays
/// open for the next MIGRATE to the same `host:port` (`MigrationConnectionCache`): a target
/// authenticated once stays authenticated, and SELECT is sent only when the database changes.
enum MigrateCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("migrate", arity: -6, flags: [.write], categories: ["keyspace", "write", "slow", "dangerous"],
                    tips: ["nondeterministic_output"], group: "generic", since: "2.6.0",
                    summary: "Atomically transfer a key from a Redis instance to another one.",
                    complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
                    handler: migrate),
    ]

    static let keysNeedEmptyKey = RedisError(
        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
    static let connectFailed = RedisError("IOERR error or timeout connecting to the client")

    static func migrate(_ c: CommandContext) throws(RedisError) {
        var copy = false, replace = false
        var username: ByteBuffer?, password: ByteBuffer?
        var firstKey = 3, keyCount = 1
        var j = 6
        while j < c.count {
            let more = c.count - 1 - j
            if c.argument(j, is: "copy") {
                copy = true
            } else if c.argument(j, is: "replace") {
                replace = true
            } else if c.argument(j, is: "auth") {
                guard more >= 1 else { throw .syntax }
                j += 1
                password = c.arguments[j]
            } else if c.argument(j, is: "auth2") {
                guard more >= 2 else { throw .syntax }
                username = c.arguments[j + 1]
                password = c.arguments[j + 2]
                j += 2
            } else if c.argument(j, is: "keys") {
                guard c.arguments[3].readableBytes == 0 else { throw keysNeedEmptyKey }
                firstKey = j + 1
                keyCount = c.count - j - 1
                break
            } else {
                throw .syntax
            }
            j += 1
        }
        var timeout = try c.integer(5)
        let database = try c.integer(4)
        if timeout <= 0 { timeout = 1000 }

        let db = c.database
        var keys: [(key: ByteString, value: Value)] = []
        for i in firstKey..<(firstKey + keyCount) {
            let key = c.key(i)
            if let value = c.engine.lookupRead(db, key) { keys.append((key, value)) }
        }
        if keys.isEmpty {
            c.reply.status("NOKEY")
            return
        }

        let host = String(decoding: c.bytes(1), as: UTF8.self)
        let portText = String(decoding: c.bytes(2), as: UTF8.self)
        var acknowledged: [ByteString] = []
        var targetError: [UInt8]?
        var mayRetry = true
        while true {
            guard let target = c.engine.migrationConnections.connection(to: host, port: portText, timeout: Int(timeout)) else {
                throw connectFailed
            }
            let select = target.database != database
            let (request, sent) = restoreRequest(c, keys, username: username, password: password,
                                                 select: select ? database : nil, replace: replace)
            let outcome = exchange(target.connection, request: request, password: password != nil, select: select, keys: sent)
            switch outcome {
            case .replies(let acked, let error, let socketFailed):
                acknowledged = acked
                targetError = error
                // As Redis: a target's error makes the database unknown; a socket error closes.
                target.database = error == nil ? database : -1
                if socketFailed { c.engine.migrationConnections.close(host: host, port: portText) }
            case .failed(let writing, let timedOut):
                c.engine.migrationConnections.close(host: host, port: portText)
                // Retried once on a fresh connection, as Redis does, when it was not a timeout:
                // a cached connection the target closed fails this way.
                if !timedOut && mayRetry {
                    mayRetry = false
                    continue
                }
                c.engine.propagate(db, [])
                throw RedisError("IOERR error or timeout \(writing ? "writing" : "reading") to target instance")
            case .partial(let acked):
                c.engine.migrationConnections.close(host: host, port: portText)
                if copy { c.engine.propagate(db, []) } else { deleteMigrated(c, acked) }
                throw RedisError("IOERR error or timeout reading to target instance")
            }
            break
        }
        if !copy { deleteMigrated(c, acknowledged) } else { c.engine.propagate(db, []) }
        if let targetError {
            throw RedisError(bytes: Array("ERR Target instance replied with error: ".utf8) + targetError)
        }
        c.reply.ok()
    }

    /// The commands MIGRATE sends: AUTH, SELECT (unless `select` is nil), then one RESTORE per
    /// key still alive, with the keys those RESTOREs carry.
    static func restoreRequest(_ c: CommandContext, _ keys: [(key: ByteString, value: Value)], username: ByteBuffer?,
                               password: ByteBuffer?, select: Int64?, replace: Bool) -> (ByteBuffer, [ByteString]) {
        var request = ByteBuffer()
        func command(_ arguments: [[UInt8]]) {
            request.writeString("*\(arguments.count)\r\n")
            for a in arguments {
                request.writeString("$\(a.count)\r\n")
                request.writeBytes(a)
                request.writeString("\r\n")
            }
        }
        if let password {
            command([Array("AUTH".utf8)] + (username.map { [$0.bytesArray] } ?? []) + [password.bytesArray])
        }
        if let select { command([Array("SELECT".utf8), Array(String(select).utf8)]) }
        let db = c.database, now = Engine.clock()
        var sent: [ByteString] = []
        for (key, value) in keys {
            var ttl: Int64 = 0
            if let at = c.engine.expireTime(db, key) {
                ttl = at - now
                if ttl < 0 { continue }
                if ttl < 1 { ttl = 1 }
            }
            sent.append(key)
            command([Array("RESTORE".utf8), key.bytes, Array(String(ttl).utf8),
                     DumpRestoreCommands.payload(value, configuration: c.engine.configuration)]
                    + (replace ? [Array("REPLACE".utf8)] : []))
        }
        return (request, sent)
    }

    /// Deletes the keys the target acknowledged and writes them to the append-only file as one
    /// DEL (nothing when none).
    static func deleteMigrated(_ c: CommandContext, _ keys: [ByteString]) {
        let db = c.database
        for key in keys where c.engine.deleteKey(db, key) {
            c.notify(.generic, "del", key)
        }
        c.engine.propagate(db, keys.isEmpty ? [] : [[.text("DEL")] + keys.map { .key($0) }])
    }

    enum Outcome {
        /// Every reply read, or a target's error read before the connection failed
        /// (`socketFailed`): the keys the target restored, and the first error it gave.
        case replies([ByteString], [UInt8]?, socketFailed: Bool)
        /// Nothing acknowledged: the request could not be written, or AUTH, SELECT or the first
        /// RESTORE reply could not be read.
        case failed(writing: Bool, timedOut: Bool)
        /// Some RESTORE replies read, then the connection failed.
        case partial([ByteString])
    }

    /// Writes the request and reads the replies, one line each (AUTH, SELECT, one per key).
    static func exchange(_ connection: MigrationConnection, request: ByteBuffer, password: Bool, select: Bool,
                         keys: [ByteString]) -> Outcome {
        guard connection.write(request.readableBytesView) else {
            return .failed(writing: true, timedOut: connection.timedOut)
        }
        // As Redis, a failed AUTH or SELECT is reported (and no key counted as restored) when
        // the RESTORE replies are read.
        var earlierError: [UInt8]?
        for sentFirst in [password, select] where sentFirst {
            guard let line = connection.readLine() else { return .failed(writing: false, timedOut: connection.timedOut) }
            if earlierError == nil, line.first == UInt8(ascii: "-") { earlierError = Array(line.dropFirst()) }
        }
        var reported: [UInt8]?
        var acknowledged: [ByteString] = []
        for (i, key) in keys.enumerated() {
            guard let line = connection.readLine() else {
                if let reported { return .replies(acknowledged, reported, socketFailed: true) }
                return i == 0 ? .failed(writing: false, timedOut: connection.timedOut) : .partial(acknowledged)
            }
            if earlierError != nil || line.first == UInt8(ascii: "-") {
                if reported == nil { reported = earlierError ?? Array(line.dropFirst()) }
            } else {
                acknowledged.append(key)
            }
        }
        return .replies(acknowledged, reported, socketFailed: false)
    }
}

/// MIGRATE's open connections to its targets, by `host:port` as typed (Redis's
/// `migrate_cached_sockets`): at most 64, a random one closed to make room, and each closed
/// once unused for more than 10 seconds (`closeIdle`, from the server's background cycle).
struct MigrationConnectionCache {
    static let capacity = 64
    /// Seconds a connection may stay unused.
    static let idleSeconds: Int64 = 10

    /// A cached connection with the database its last MIGRATE selected (-1: unknown).
    final class Target {
        let connection: MigrationConnection
        var database: Int64 = -1
        /// Unix seconds of the last MIGRATE that used it.
        var lastUse: Int64

        init(_ connection: MigrationConnection, now: Int64) {
            self.connection = connection
            lastUse = now
        }
    }

    private var targets: [String: Target] = [:]

    /// How many connections are open.
    var count: Int { targets.count }

    /// The cached connection to `host:port`, or a new one made within `timeout` milliseconds;
    /// nil when it cannot connect.
    mutating func connection(to host: String, port: String, timeout: Int) -> Target? {
        let name = host + ":" + port
        let now = Engine.clock() / 1000
        if let target = targets[name] {
            target.lastUse = now
            target.connection.timeout = timeout
            return target
        }
        if targets.count >= Self.capacity, let victim = targets.keys.randomElement() {
            targets.removeValue(forKey: victim)?.connection.close()
        }
        guard let connection = MigrationConnection(host: host, port: Int(port) ?? 0, timeout: timeout) else { return nil }
        let target = Target(connection, now: now)
        targets[name] = target
        return target
    }

    /// Closes and forgets the connection to `host:port`, after a socket error.
    mutating func close(host: String, port: String) {
        targets.removeValue(forKey: host + ":" + port)?.connection.close()
    }

    /// Closes the connections unused for more than `idleSeconds` (Redis's
    /// `migrateCloseTimedoutSockets`).
    mutating func closeIdle(now: Int64 = Engine.clock() / 1000) {
        for (name, target) in targets where now - target.lastUse > Self.idleSeconds {
            targets.removeValue(forKey: name)
            target.connection.close()
        }
    }
}

/// A blocking TCP connection whose every step is bounded by a timeout: MIGRATE's link to its
/// target (Redis's `connBlockingConnect`, `connSyncWrite` and `connSyncReadLine`).
final class MigrationConnection {
    private var fd: Int32
    /// Milliseconds each step may take: the running MIGRATE's `timeout`.
    var timeout: Int
    private var buffered: [UInt8] = []
    /// Whether the last failed step ran out of time (else the connection failed).
    private(set) var timedOut = false

    /// Connects to `host:port` within `timeout` milliseconds; nil when it cannot.
    init?(host: String, port: Int, timeout: Int) {
        self.timeout = timeout
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard port > 0, port < 65536, getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        let deadline = Engine.clock() + Int64(timeout)
        while let info = candidate, connected < 0 {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd < 0 { continue }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            // As Redis's `connBlockingConnect`, a connection in progress counts once the socket
            // is writable, even when that is to report a refusal: the write then fails.
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0
                || (errno == EINPROGRESS && Self.wait(fd, for: Int16(POLLOUT), until: deadline)) {
                connected = fd
            } else {
                Glibc.close(fd)
            }
        }
        guard connected >= 0 else { return nil }
        fd = connected
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), Int32(TCP_NODELAY), &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Waits until `fd` is ready for `events` or `deadline` (Unix milliseconds) passes.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: Int64) -> Bool {
        while true {
            let left = deadline - Engine.clock()
            if left <= 0 { return false }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&entry, 1, Int32(clamping: left))
            if n > 0 { return true }
            if n < 0 && errno != EINTR { return false }
        }
    }

    /// After a `send` or `recv` that returned `n` (not positive): whether to try again, having
    /// waited for `events`. False on a failure, or (setting `timedOut`) when `deadline` passed.
    private func mayRetry(_ n: Int, _ events: Int16, _ deadline: Int64) -> Bool {
        guard n < 0 && (errno == EAGAIN || errno == EINTR) else { return false }
        if Self.wait(fd, for: events, until: deadline) { return true }
        timedOut = true
        return false
    }

    /// Writes all of `bytes`; false on a failure or when `timeout` passes first.
    func write<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        let data = Array(bytes)
        var written = 0
        let deadline = Engine.clock() + Int64(timeout)
        while written < data.count {
            let n = data[written...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                written += n
            } else if !mayRetry(n, Int16(POLLOUT), deadline) {
                return false
            }
        }
        return true
    }

    /// One reply line without its CRLF; nil on a failure, a closed connection or a timeout.
    func readLine() -> [UInt8]? {
        let deadline = Engine.clock() + Int64(timeout)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffered[..<end])
                buffered.removeFirst(end + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffered += chunk[0..<n]
            } else if !mayRetry(n, Int16(POLLIN), deadline) {
                return nil
            }
        }
    }

    /// Closes the socket; later calls do nothing.
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}

extension Engine {
    /// Closes MIGRATE's connections unused for more than 10 seconds; the server's background
    /// cycle calls it, as Redis's `serverCron` does once a second.
    public func closeIdleMigrationConnections() {
        if migrationConnections.count > 0 { migrationConnections.closeIdle() }
    }
}
