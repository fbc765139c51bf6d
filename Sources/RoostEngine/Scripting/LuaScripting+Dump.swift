/// What FUNCTION RESTORE does with the libraries already loaded.
enum FunctionRestorePolicy {
    /// Keep them; a library name already loaded fails the restore (the default).
    case append
    /// Keep them, except those the payload replaces by name.
    case replace
    /// Drop them all.
    case flush
}

/// FUNCTION DUMP and FUNCTION RESTORE: the libraries' code as RDB function records, with the
/// RDB version and CRC-64 footer of DUMP payloads.
extension LuaScripting {
    /// Opcode of a library record (Redis's `RDB_OPCODE_FUNCTION2`): the code as an RDB string.
    static let functionOpcode: UInt8 = 245
    /// Opcode of the record 7.0 release candidates wrote (`RDB_OPCODE_FUNCTION`): name, engine,
    /// an optional description, then the code without its shebang.
    static let preReleaseFunctionOpcode: UInt8 = 246

    /// The FUNCTION DUMP payload of `libraries`, in the given order.
    static func dumpPayload(_ libraries: [LuaLibrary]) -> [UInt8] {
        var out: [UInt8] = []
        for library in libraries {
            out.append(functionOpcode)
            RDBString.appendString(library.code, to: &out)
        }
        appendFooter(to: &out)
        return out
    }

    /// Appends the RDB version (little-endian) and the CRC-64 of everything before the CRC.
    static func appendFooter(to out: inout [UInt8]) {
        out.append(UInt8(RDBString.version & 0xff))
        out.append(UInt8(RDBString.version >> 8))
        let crc = CRC64.checksum(out)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: crc >> UInt64(i * 8))) }
    }

    /// Redis's `verifyDumpPayload`: a 10-byte footer, a version Redis can read, a matching CRC.
    static func verifyPayload(_ payload: [UInt8]) -> Bool {
        guard payload.count >= 10 else { return false }
        let footer = payload.count - 10
        let version = UInt16(payload[footer]) | UInt16(payload[footer + 1]) << 8
        if version > RDBString.version { return false }
        let stored = (0..<8).reduce(UInt64(0)) { $0 | UInt64(payload[footer + 2 + $1]) << UInt64($1 * 8) }
        return CRC64.checksum(payload[0..<(payload.count - 8)]) == stored
    }

    /// The library codes of a verified payload, in order, with Redis's errors for bad records.
    /// Each code is loaded into `target` as it is read, as Redis's `rdbFunctionLoad` does.
    static func loadPayload(_ payload: [UInt8], into target: LuaScripting) throws(RedisError) -> [String] {
        var reader = RDBString.Reader(payload)
        var names: [String] = []
        while payload.count - reader.position > 10 {
            guard let type = reader.byte() else { throw RedisError("ERR can not read data type") }
            let code: [UInt8]
            if type == preReleaseFunctionOpcode {
                guard let name = reader.string() else { throw RedisError("ERR Failed loading library name") }
                guard let engine = reader.string() else { throw RedisError("ERR Failed loading engine name") }
                guard let hasDescription = reader.plainLength() else {
                    throw RedisError("ERR Failed loading library description indicator")
                }
                if hasDescription != 0 && reader.string() == nil {
                    throw RedisError("ERR Failed loading library description")
                }
                guard let body = reader.string() else { throw RedisError("ERR Failed loading library blob") }
                code = Array("#!".utf8) + engine + Array(" name=".utf8) + name + [10] + body
            } else if type == functionOpcode {
                guard let body = reader.string() else { throw RedisError("ERR Failed loading library payload") }
                code = body
            } else {
                throw RedisError("ERR given type is not a function")
            }
            names.append(try target.loadLibrary(code, replace: false))
        }
        return names
    }
}

extension Engine {
    /// FUNCTION DUMP: every library, by name order (Redis's order is its dict's, unspecified).
    func functionDumpPayload() -> [UInt8] {
        let libraries = functionScripting?.libraries.values.sorted { $0.name < $1.name } ?? []
        return LuaScripting.dumpPayload(libraries)
    }

    /// FUNCTION RESTORE: loads the payload's libraries into a fresh functions state, checks them
    /// against the current ones by `policy` (Redis's `libraryJoin`), then adds the kept current
    /// libraries to the fresh state and makes it current. Any failure leaves the current
    /// libraries as they were.
    func restoreFunctions(_ payload: [UInt8], policy: FunctionRestorePolicy) throws(RedisError) {
        guard LuaScripting.verifyPayload(payload) else {
            throw RedisError("ERR DUMP payload version or checksum are wrong")
        }
        guard let fresh = LuaScripting(engine: self, functions: true) else {
            throw RedisError("ERR Failed to create the Lua interpreter")
        }
        let restored = try LuaScripting.loadPayload(payload, into: fresh)
        if policy == .flush {
            functionScripting = fresh
            return
        }
        guard let current = functionScripting else {
            functionScripting = fresh
            return
        }
        var replaced: Set<String> = []
        for name in restored where current.libraries[name] != nil {
            if policy == .append { throw RedisError.format("Library \(name) already exists") }
            replaced.insert(name)
        }
        for name in restored {
            for function in fresh.libraries[name]?.functionNames ?? [] {
                if let existing = current.functions[function], !replaced.contains(existing.library) {
                    throw RedisError.format("Function \(function) already exists")
                }
            }
        }
        for library in current.libraries.values.sorted(by: { $0.name < $1.name }) where !replaced.contains(library.name) {
            _ = try fresh.loadLibrary(library.code, replace: false)
        }
        functionScripting = fresh
    }
}
