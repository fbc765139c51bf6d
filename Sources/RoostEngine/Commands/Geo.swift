import NIOCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Geo commands (Redis's `geo.c`): positions are sorted-set members whose score is a 52-bit
/// geohash (`Geohash`), so a geo index is an ordinary sorted set. Searches look in the cell of
/// the centre and its eight neighbours, filter by exact distance, and sort as Redis does.
enum GeoCommands {
    static let rw = ["write", "geo", "slow"]
    static let ro = ["read", "geo", "slow"]

    static let specs: [CommandSpec] = [
        CommandSpec("geoadd", arity: -5, flags: [.write, .denyoom], categories: rw, group: "geo", since: "3.2.0",
                    summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
                    handler: geoadd),
        CommandSpec("geodist", arity: -4, flags: [.readonly], categories: ro, group: "geo", since: "3.2.0",
                    summary: "Returns the distance between two members of a geospatial index", handler: geodist),
        CommandSpec("geohash", arity: -2, flags: [.readonly], categories: ro, group: "geo", since: "3.2.0",
                    summary: "Returns members of a geospatial index as standard geohash strings", handler: geohash),
        CommandSpec("geopos", arity: -2, flags: [.readonly], categories: ro, group: "geo", since: "3.2.0",
                    summary: "Returns longitude and latitude of members of a geospatial index", handler: geopos),
        CommandSpec("georadius", arity: -6, flags: [.write, .denyoom], categories: rw, group: "geo", since: "3.2.0",
                    summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
                    handler: { c throws(RedisError) in try search(c, keyIndex: 1, [.coordinates]) }),
        CommandSpec("georadius_ro", arity: -6, flags: [.readonly], categories: ro, group: "geo", since: "3.2.10",
                    summary: "A read-only variant for GEORADIUS",
                    handler: { c throws(RedisError) in try search(c, keyIndex: 1, [.coordinates, .noStore]) }),
        CommandSpec("georadiusbymember", arity: -5, flags: [.write, .denyoom], categories: rw, group: "geo", since: "3.2.0",
                    summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
                    handler: { c throws(RedisError) in try search(c, keyIndex: 1, [.member]) }),
        CommandSpec("georadiusbymember_ro", arity: -5, flags: [.readonly], categories: ro, group: "geo", since: "3.2.10",
                    summary: "A read-only variant for GEORADIUSBYMEMBER",
                    handler: { c throws(RedisError) in try search(c, keyIndex: 1, [.member, .noStore]) }),
        CommandSpec("geosearch", arity: -7, flags: [.readonly], categories: ro, group: "geo", since: "6.2.0",
                    summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
                    handler: { c throws(RedisError) in try search(c, keyIndex: 1, [.geosearch]) }),
        CommandSpec("geosearchstore", arity: -8, flags: [.write, .denyoom], categories: rw, group: "geo", since: "6.2.0",
                    summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
                    handler: { c throws(RedisError) in try search(c, keyIndex: 2, [.geosearch, .geosearchStore]) }),
    ]

    // MARK: - Arguments

    /// Longitude and latitude at `index` and `index + 1`.
    /// - Throws: not a float, or `invalid longitude,latitude pair` outside the geohash's range.
    static func position(_ c: CommandContext, _ index: Int) throws(RedisError) -> (Double, Double) {
        let x = try SortedSetCommands.double(c, index)
        let y = try SortedSetCommands.double(c, index + 1)
        if x < Geohash.longitudeRange.min || x > Geohash.longitudeRange.max
            || y < Geohash.latitudeRange.min || y > Geohash.latitudeRange.max {
            throw RedisError("ERR invalid longitude,latitude pair \(cFormat("%f", x)),\(cFormat("%f", y))")
        }
        return (x, y)
    }

    /// C's `printf` of one double.
    static func cFormat(_ format: String, _ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { buf in
            let n = withVaList([value]) { vsnprintf(buf.baseAddress, 512, format, $0) }
            let length = Int(max(0, min(n, 511)))
            return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress, count: length), as: UTF8.self)
        }
    }

    /// Meters per unit. - Throws: Redis's unsupported-unit error.
    static func unit(_ c: CommandContext, _ index: Int) throws(RedisError) -> Double {
        if c.argument(index, is: "m") { return 1 }
        if c.argument(index, is: "km") { return 1000 }
        if c.argument(index, is: "ft") { return 0.3048 }
        if c.argument(index, is: "mi") { return 1609.34 }
        throw RedisError("ERR unsupported unit provided. please use M, KM, FT, MI")
    }

    /// A float argument with Redis's own message for a bad one.
    static func number(_ c: CommandContext, _ index: Int, _ message: String) throws(RedisError) -> Double {
        guard let v = SortedSetCommands.parseDouble(c.arguments[index]) else { throw RedisError("ERR \(message)") }
        return v
    }

    /// `radius unit` at `index`: the radius and meters per unit.
    static func distance(_ c: CommandContext, _ index: Int) throws(RedisError) -> (Double, Double) {
        let radius = try number(c, index, "need numeric radius")
        if radius < 0 { throw RedisError("ERR radius cannot be negative") }
        return (radius, try unit(c, index + 1))
    }

    /// `width height unit` at `index`.
    static func box(_ c: CommandContext, _ index: Int) throws(RedisError) -> (Double, Double, Double) {
        let width = try number(c, index, "need numeric width")
        let height = try number(c, index + 1, "need numeric height")
        if height < 0 || width < 0 { throw RedisError("ERR height or width cannot be negative") }
        return (width, height, try unit(c, index + 2))
    }

    /// A distance as Redis writes it: four decimals, rounded half to even.
    static func distanceText(_ d: Double) -> String {
        if d == 0 { return "0.0000" }
        let scaled = (d * 10000).rounded(.toNearestOrEven)
        let value = Int64(scaled)
        let magnitude = value.magnitude
        var digits = String(magnitude)
        if digits.count < 5 { digits = String(repeating: "0", count: 5 - digits.count) + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -4)
        return (value < 0 ? "-" : "") + digits[..<cut] + "." + digits[cut...]
    }

    /// A coordinate as Redis's `addReplyHumanLongDouble` writes it.
    static func replyCoordinate(_ r: ReplyWriter, _ value: Double) {
        let text = LongDouble.humanString(LongDouble.Number(value))
        if r.isResp3 {
            r.buffer.writeInteger(UInt8(ascii: ","))
            r.buffer.writeBytes(text)
            r.buffer.writeStaticString("\r\n")
        } else {
            r.bulk(text)
        }
    }

    // MARK: - GEOADD, GEODIST, GEOHASH, GEOPOS

    /// GEOADD key [NX|XX] [CH] longitude latitude member …: ZADD with each position's score,
    /// and written to the append-only file as that ZADD, as Redis does.
    static func geoadd(_ c: CommandContext) throws(RedisError) {
        var nx = false, xx = false
        var first = 2
        while first < c.count {
            if c.argument(first, is: "nx") { nx = true }
            else if c.argument(first, is: "xx") { xx = true }
            else if !c.argument(first, is: "ch") { break }
            first += 1
        }
        if (c.count - first) % 3 != 0 || (xx && nx) { throw .syntax }
        var arguments = [ByteBuffer(string: "zadd")] + c.arguments[1..<first]
        for i in stride(from: first, to: c.count, by: 3) {
            let (x, y) = try position(c, i)
            arguments.append(ByteBuffer(string: String(Geohash.score(longitude: x, latitude: y))))
            arguments.append(c.arguments[i + 2])
        }
        let zadd = CommandContext(engine: c.engine, client: c.client, arguments: arguments, command: c.command)
        try SortedSetCommands.zaddGeneric(zadd, incr: false)
        c.engine.propagate(c.database, [arguments.map { .buffer($0) }])
    }

    static func geodist(_ c: CommandContext) throws(RedisError) {
        var toMeters = 1.0
        if c.count == 5 {
            toMeters = try unit(c, 4)
        } else if c.count > 5 {
            throw .syntax
        }
        guard let z = try SortedSetCommands.readZset(c, c.key(1)) else {
            c.reply.nullBulk()
            return
        }
        guard let s1 = z.score(c.key(2)), let s2 = z.score(c.key(3)),
              let a = Geohash.position(score: s1), let b = Geohash.position(score: s2) else {
            c.reply.nullBulk()
            return
        }
        c.reply.bulk(string: distanceText(Geohash.distance(a.longitude, a.latitude, b.longitude, b.latitude) / toMeters))
    }

    static func geohash(_ c: CommandContext) throws(RedisError) {
        let z = try SortedSetCommands.readZset(c, c.key(1))
        c.reply.arrayHeader(c.count - 2)
        for i in 2..<c.count {
            if let score = z?.score(c.key(i)), let text = Geohash.standardText(score: score) {
                c.reply.bulk(text)
            } else {
                c.reply.nullBulk()
            }
        }
    }

    static func geopos(_ c: CommandContext) throws(RedisError) {
        let z = try SortedSetCommands.readZset(c, c.key(1))
        c.reply.arrayHeader(c.count - 2)
        for i in 2..<c.count {
            if let score = z?.score(c.key(i)), let (x, y) = Geohash.position(score: score) {
                c.reply.arrayHeader(2)
                replyCoordinate(c.reply, x)
                replyCoordinate(c.reply, y)
            } else {
                c.reply.nullArray()
            }
        }
    }

    // MARK: - Searches

    struct Variant: OptionSet {
        let rawValue: Int
        /// GEORADIUS: around coordinates.
        static let coordinates = Variant(rawValue: 1 << 0)
        /// GEORADIUSBYMEMBER: around a member.
        static let member = Variant(rawValue: 1 << 1)
        /// The `_RO` forms: no STORE or STOREDIST.
        static let noStore = Variant(rawValue: 1 << 2)
        static let geosearch = Variant(rawValue: 1 << 3)
        static let geosearchStore = Variant(rawValue: 1 << 4)
    }

    /// A point found by a search.
    struct Found {
        var member: ByteString
        var score: Double
        var longitude: Double
        var latitude: Double
        var distance: Double
    }

    enum Order { case none, ascending, descending }

    /// Redis's `georadiusGeneric`, for all six search commands: the same argument checks in the
    /// same order, so each bad input gets Redis's error.
    static func search(_ c: CommandContext, keyIndex: Int, _ variant: Variant) throws(RedisError) {
        let db = c.database
        let z = try SortedSetCommands.readZset(c, c.key(keyIndex))
        var shape = Geohash.Shape()
        var store: ByteString?
        var storeDistance = false
        var base: Int
        if variant.contains(.coordinates) {
            base = 6
            (shape.longitude, shape.latitude) = try position(c, 2)
            let (radius, conversion) = try distance(c, base - 2)
            shape.kind = .circle(radius: radius)
            shape.conversion = conversion
        } else if variant.contains(.member) {
            base = 5
            if let z {
                guard let score = z.score(c.key(2)), let p = Geohash.position(score: score) else {
                    throw RedisError("ERR could not decode requested zset member")
                }
                (shape.longitude, shape.latitude) = p
                let (radius, conversion) = try distance(c, base - 2)
                shape.kind = .circle(radius: radius)
                shape.conversion = conversion
            }
        } else {
            base = 2
            if variant.contains(.geosearchStore) {
                base = 3
                store = c.key(1)
            }
        }

        var withDistance = false, withHash = false, withCoordinates = false
        var fromMember = false, fromPosition = false, byRadius = false, byBox = false
        var order = Order.none
        var any = false
        var count: Int64 = 0
        let isSearch = variant.contains(.geosearch)
        let remaining = c.count - base
        var i = 0
        while i < remaining {
            let at = base + i
            if c.argument(at, is: "withdist") { withDistance = true }
            else if c.argument(at, is: "withhash") { withHash = true }
            else if c.argument(at, is: "withcoord") { withCoordinates = true }
            else if c.argument(at, is: "any") { any = true }
            else if c.argument(at, is: "asc") { order = .ascending }
            else if c.argument(at, is: "desc") { order = .descending }
            else if c.argument(at, is: "count") && i + 1 < remaining {
                count = try c.integer(at + 1)
                if count <= 0 { throw RedisError("ERR COUNT must be > 0") }
                i += 1
            } else if (c.argument(at, is: "store") || c.argument(at, is: "storedist")) && i + 1 < remaining
                        && !variant.contains(.noStore) && !isSearch {
                storeDistance = c.argument(at, is: "storedist")
                store = c.key(at + 1)
                i += 1
            } else if c.argument(at, is: "storedist") && isSearch && variant.contains(.geosearchStore) {
                storeDistance = true
            } else if c.argument(at, is: "frommember") && i + 1 < remaining && isSearch && !fromPosition {
                if let z {
                    guard let score = z.score(c.key(at + 1)), let p = Geohash.position(score: score) else {
                        throw RedisError("ERR could not decode requested zset member")
                    }
                    (shape.longitude, shape.latitude) = p
                }
                fromMember = true
                i += 1
            } else if c.argument(at, is: "fromlonlat") && i + 2 < remaining && isSearch && !fromMember {
                (shape.longitude, shape.latitude) = try position(c, at + 1)
                fromPosition = true
                i += 2
            } else if c.argument(at, is: "byradius") && i + 2 < remaining && isSearch && !byBox {
                let (radius, conversion) = try distance(c, at + 1)
                shape.kind = .circle(radius: radius)
                shape.conversion = conversion
                byRadius = true
                i += 2
            } else if c.argument(at, is: "bybox") && i + 3 < remaining && isSearch && !byRadius {
                let (width, height, conversion) = try box(c, at + 1)
                shape.kind = .box(width: width, height: height)
                shape.conversion = conversion
                byBox = true
                i += 3
            } else {
                throw .syntax
            }
            i += 1
        }

        if store != nil && (withDistance || withHash || withCoordinates) {
            let name = variant.contains(.geosearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"
            throw RedisError("ERR \(name) is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
        }
        let typedName = String(decoding: c.bytes(0), as: UTF8.self)
        if isSearch && !(fromMember || fromPosition) {
            throw RedisError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for \(typedName)")
        }
        if isSearch && !(byRadius || byBox) {
            throw RedisError("ERR exactly one of BYRADIUS and BYBOX can be specified for \(typedName)")
        }
        if any && count == 0 { throw RedisError("ERR the ANY argument requires COUNT argument") }

        // Only a stored result is a change worth writing to the append-only file.
        if store == nil { c.engine.propagate(db, []) }
        guard let z else {
            if let store {
                if c.engine.deleteKey(db, store) {
                    c.notify(.generic, "del", store)
                } else {
                    c.engine.propagate(db, [])
                }
                c.reply.integer(0)
            } else {
                c.reply.arrayHeader(0)
            }
            return
        }
        if count != 0 && order == .none && !any { order = .ascending }

        var found = points(in: z, shape, limit: any ? Int(count) : 0)
        if found.isEmpty && store == nil {
            c.reply.arrayHeader(0)
            return
        }
        let returned = count == 0 || found.count < count ? found.count : Int(count)
        switch order {
        case .none: break
        case .ascending: found = stableSorted(found) { $0.distance < $1.distance }
        case .descending: found = stableSorted(found) { $0.distance > $1.distance }
        }

        if let store {
            if returned == 0 {
                if c.engine.deleteKey(db, store) {
                    c.notify(.generic, "del", store)
                } else {
                    c.engine.propagate(db, [])
                }
                c.reply.integer(0)
                return
            }
            let entries = found.prefix(returned).map { point in
                SortedSetEntry(member: point.member, score: storeDistance ? point.distance / shape.conversion : point.score)
            }
            SortedSetCommands.storeResult(c, store, Array(entries), sizeHint: returned,
                                          event: c.command.fullName.hasPrefix("geosearch") ? "geosearchstore" : "georadiusstore")
            c.engine.countChanges(returned)
            return
        }
        let options = (withDistance ? 1 : 0) + (withCoordinates ? 1 : 0) + (withHash ? 1 : 0)
        let r = c.reply
        r.arrayHeader(returned)
        for point in found.prefix(returned) {
            if options > 0 { r.arrayHeader(options + 1) }
            r.bulk(point.member)
            if withDistance { r.bulk(string: distanceText(point.distance / shape.conversion)) }
            if withHash { r.integer(Int64(truncatingIfNeeded: Geohash.cUInt64(point.score))) }
            if withCoordinates {
                r.arrayHeader(2)
                replyCoordinate(r, point.longitude)
                replyCoordinate(r, point.latitude)
            }
        }
    }

    /// The members inside `shape`: each of the nine cells' score ranges in Redis's order, a
    /// neighbour equal to the neighbour searched before it skipped (Redis never compares with the
    /// centre cell), stopping at `limit` (0: no limit).
    static func points(in z: SortedSetValue, _ shape: Geohash.Shape, limit: Int) -> [Found] {
        var out: [Found] = []
        let cells = Geohash.searchCells(shape)
        var lastProcessed = 0
        for (index, cell) in cells.enumerated() {
            if cell.isZero { continue }
            if lastProcessed != 0 && cells[lastProcessed] == cell { continue }
            if limit > 0 && out.count >= limit { break }
            let (min, max) = Geohash.scoreRange(of: cell)
            let entries = z.entriesForward(from: { $0 < min }, while: { $0 < max }, offset: 0, limit: -1)
            for entry in entries {
                if let (x, y) = Geohash.position(score: entry.score),
                   let d = shape.distanceIfInside(longitude: x, latitude: y) {
                    out.append(Found(member: entry.member, score: entry.score, longitude: x, latitude: y, distance: d))
                }
                if limit > 0 && out.count >= limit { break }
            }
            lastProcessed = index
        }
        return out
    }

    /// A stable sort, as glibc's merge-sorting `qsort` leaves equal distances in search order.
    static func stableSorted(_ points: [Found], by less: (Found, Found) -> Bool) -> [Found] {
        points.enumerated().sorted { a, b in
            if less(a.element, b.element) { return true }
            if less(b.element, a.element) { return false }
            return a.offset < b.offset
        }.map(\.element)
    }
}
