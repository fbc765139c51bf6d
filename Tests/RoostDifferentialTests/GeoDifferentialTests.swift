import RoostEngine
import RoostTestSupport
import Testing

/// Geo commands against redis-server, byte for byte: scores, positions, distances, searches of
/// every form with every option, stored results and every error, in RESP2 and RESP3.
@Suite struct GeoDifferentialTests {
    static let sicily = """
        GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
        GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2 13.583333 37.316667 Agrigento
        """

    @Test(arguments: [2, 3])
    func addPositionsDistancesAndHashes(protocolVersion: Int) async throws {
        try await Differential.check((protocolVersion == 3 ? "?HELLO 3\n" : "") + Self.sicily + #"""
            ZRANGE Sicily 0 -1 WITHSCORES
            GEOPOS Sicily Palermo Catania nonexisting Agrigento
            GEOPOS missing a b
            GEOPOS Sicily
            GEODIST Sicily Palermo Catania
            GEODIST Sicily Palermo Catania km
            GEODIST Sicily Palermo Catania KM
            GEODIST Sicily Palermo Catania mi
            GEODIST Sicily Palermo Catania ft
            GEODIST Sicily Palermo Catania M
            GEODIST Sicily Palermo Palermo
            GEODIST Sicily Palermo nothing
            GEODIST missing a b
            GEODIST Sicily Palermo Catania yards
            GEODIST Sicily Palermo Catania km extra
            GEOHASH Sicily Palermo Catania nothing edge1 edge2
            GEOHASH missing a
            GEOADD Sicily NX 13.361389 38.115556 Palermo 1 2 newcomer
            GEOADD Sicily XX CH 13.5 38.1 Palermo 3 4 other
            GEOADD Sicily CH NX XX 1 2 x
            GEOADD Sicily GT 1 2 x
            GEOADD Sicily 1 2
            GEOADD Sicily 181 10 far
            GEOADD Sicily 10 85.06 far
            GEOADD Sicily -180 -85.05112878 corner 180 85.05112878 corner2
            GEOPOS Sicily corner corner2 newcomer
            GEOADD Sicily abc 10 far
            GEOADD Sicily 10 nan far
            GEOADD Sicily 1e2 2.5e1 sci
            GEOPOS Sicily sci
            SET str x
            GEOADD str 1 2 m
            GEOPOS str m
            GEODIST str a b
            GEOHASH str a
            GEORADIUS str 15 37 200 km
            ZADD plain -5 neg 1e30 huge 0 zero
            GEOPOS plain neg huge zero
            GEOHASH plain neg huge zero
            GEODIST plain neg zero
            OBJECT ENCODING Sicily
            TYPE Sicily
            """#)
    }

    @Test(arguments: [2, 3])
    func radiusSearchesWithEveryOption(protocolVersion: Int) async throws {
        try await Differential.check((protocolVersion == 3 ? "?HELLO 3\n" : "") + Self.sicily + #"""
            GEORADIUS Sicily 15 37 200 km
            GEORADIUS Sicily 15 37 200 km WITHDIST
            GEORADIUS Sicily 15 37 200 km WITHCOORD WITHDIST WITHHASH
            GEORADIUS Sicily 15 37 200 km WITHHASH ASC
            GEORADIUS Sicily 15 37 200 km DESC WITHDIST
            GEORADIUS Sicily 15 37 200 km COUNT 1
            GEORADIUS Sicily 15 37 200 km COUNT 2 DESC
            GEORADIUS Sicily 15 37 200 km COUNT 1 ANY
            GEORADIUS Sicily 15 37 200 km COUNT 2 ANY DESC WITHDIST
            GEORADIUS Sicily 15 37 1 m
            GEORADIUS Sicily 15 37 0 km
            GEORADIUS Sicily 15 37 200 mi WITHDIST
            GEORADIUS Sicily 15 37 200000 ft WITHDIST
            GEORADIUS Sicily 15 37 200 KM WITHDIST
            GEORADIUS Sicily 15 37 20000 km WITHDIST
            GEORADIUS Sicily 15 37 -1 km
            GEORADIUS Sicily 15 37 abc km
            GEORADIUS Sicily 15 37 200 parsecs
            GEORADIUS Sicily 200 37 200 km
            GEORADIUS Sicily 15 37 200 km COUNT 0
            GEORADIUS Sicily 15 37 200 km COUNT -3
            GEORADIUS Sicily 15 37 200 km COUNT x
            GEORADIUS Sicily 15 37 200 km COUNT
            GEORADIUS Sicily 15 37 200 km ANY
            GEORADIUS Sicily 15 37 200 km FOO
            GEORADIUS Sicily 15 37 200 km WITHDIST STORE dst
            GEORADIUS missing 15 37 200 km
            GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC
            GEORADIUS_RO Sicily 15 37 200 km STORE dst
            GEORADIUSBYMEMBER Sicily Agrigento 100 km WITHDIST WITHCOORD
            GEORADIUSBYMEMBER Sicily Agrigento 100 km COUNT 2 DESC
            GEORADIUSBYMEMBER Sicily nobody 100 km
            GEORADIUSBYMEMBER missing nobody 100 km
            GEORADIUSBYMEMBER missing nobody abc km
            GEORADIUSBYMEMBER_RO Sicily Palermo 500 km WITHHASH
            GEORADIUSBYMEMBER_RO Sicily Palermo 500 km STOREDIST dst
            """#)
    }

    @Test(arguments: [2, 3])
    func geosearchByRadiusAndBox(protocolVersion: Int) async throws {
        try await Differential.check((protocolVersion == 3 ? "?HELLO 3\n" : "") + Self.sicily + #"""
            GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
            GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST
            GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 200 200 km WITHDIST
            GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km DESC WITHHASH
            GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 10 km
            GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 10 400 km
            GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 0 0 km
            GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2 ANY
            GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 3
            geosearch Sicily BYRADIUS 200 km
            GEOSEARCH Sicily FROMLONLAT 15 37
            GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km
            GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km
            GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km
            GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 1 km
            GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
            GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX a 1 km
            GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 b km
            GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 yd
            GEOSEARCH Sicily FROMMEMBER nobody BYRADIUS 1 km
            GEOSEARCH missing FROMMEMBER nobody BYRADIUS 1 km
            GEOSEARCH missing FROMMEMBER nobody BYRADIUS 1 km COUNT 1 ANY
            GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
            GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
            GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY
            GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 200 km
            """#)
    }

    @Test func storedResults() async throws {
        try await Differential.check(Self.sicily + #"""
            GEORADIUS Sicily 15 37 200 km STORE dst
            ZRANGE dst 0 -1 WITHSCORES
            GEORADIUS Sicily 15 37 200 km STOREDIST dst2 COUNT 2
            ZRANGE dst2 0 -1 WITHSCORES
            GEORADIUSBYMEMBER Sicily Palermo 500 km STOREDIST dst3
            ZRANGE dst3 0 -1 WITHSCORES
            OBJECT ENCODING dst3
            GEORADIUS Sicily 15 37 1 m STORE dst
            EXISTS dst
            SET other x
            GEORADIUS Sicily 15 37 200 km STORE other
            TYPE other
            GEORADIUS missing 15 37 200 km STORE other
            EXISTS other
            GEOSEARCHSTORE out Sicily FROMLONLAT 15 37 BYBOX 400 400 km
            ZRANGE out 0 -1 WITHSCORES
            GEOSEARCHSTORE out Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST DESC COUNT 2
            ZRANGE out 0 -1 WITHSCORES
            GEOSEARCHSTORE out Sicily FROMLONLAT 15 37 BYBOX 400 400 km WITHDIST
            GEOSEARCHSTORE out missing FROMLONLAT 15 37 BYBOX 400 400 km
            EXISTS out
            GEOSEARCHSTORE out Sicily FROMLONLAT 15 37 BYBOX 1 1 m
            GEOSEARCHSTORE out Sicily FROMLONLAT 15 37 BYBOX 400 400 km STORE x
            """#)
    }

    /// Random points over the whole map (poles, the antimeridian, dense clusters) and random
    /// searches of every shape and size: the same members, order, distances and coordinates.
    @Test(arguments: [UInt64(1), 2, 3])
    func randomSearchesMatch(seed: UInt64) async throws {
        var g = SplitMix64(seed: seed)
        var lines: [String] = []
        func lon() -> String { String(format: "%.6f", Double.random(in: -180...180, using: &g)) }
        func lat() -> String { String(format: "%.6f", Double.random(in: -85.05...85.05, using: &g)) }
        for batch in 0..<20 {
            var add = "GEOADD pts"
            for i in 0..<25 {
                if batch % 4 == 0 {
                    // A dense cluster near a random centre.
                    add += String(format: " %.6f %.6f m%d_%d", Double.random(in: 10...10.5, using: &g),
                                  Double.random(in: 45...45.5, using: &g), batch, i)
                } else {
                    add += " \(lon()) \(lat()) m\(batch)_\(i)"
                }
            }
            lines.append(add)
        }
        let units = ["m", "km", "mi", "ft"]
        for _ in 0..<60 {
            let unit = units[Int.random(in: 0..<units.count, using: &g)]
            let scale: Double = unit == "m" ? 1000 : unit == "ft" ? 3000 : 1
            let radius = String(format: "%.3f", Double.random(in: 1...3000, using: &g) * scale)
            let width = String(format: "%.3f", Double.random(in: 1...5000, using: &g) * scale)
            let height = String(format: "%.3f", Double.random(in: 1...5000, using: &g) * scale)
            let center = Bool.random(using: &g) ? "10.2 45.2" : "\(lon()) \(lat())"
            let order = ["", " ASC", " DESC"][Int.random(in: 0..<3, using: &g)]
            lines.append("GEORADIUS pts \(center) \(radius) \(unit) WITHDIST WITHCOORD WITHHASH\(order)")
            lines.append("GEOSEARCH pts FROMLONLAT \(center) BYBOX \(width) \(height) \(unit) WITHDIST WITHCOORD\(order)")
            let member = "m\(Int.random(in: 0..<20, using: &g))_\(Int.random(in: 0..<25, using: &g))"
            lines.append("GEOSEARCH pts FROMMEMBER \(member) BYRADIUS \(radius) \(unit) WITHDIST ASC COUNT 5")
            lines.append("GEODIST pts \(member) m1_1 \(unit)")
        }
        lines.append("GEOPOS pts m0_0 m1_1 m2_2 m3_3")
        lines.append("GEOHASH pts m0_0 m1_1 m2_2 m3_3")
        try await Differential.check(lines.joined(separator: "\n"))
    }

    @Test func inTransactionsAndScripts() async throws {
        try await Differential.check(Self.sicily + #"""
            MULTI
            GEOADD t 1 2 a 3 4 b
            GEODIST t a b km
            GEORADIUS t 2 3 500 km STORE t2
            EXEC
            ZRANGE t2 0 -1
            EVAL "return redis.call('GEOPOS', KEYS[1], 'Palermo')" 1 Sicily
            EVAL "return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'ASC')" 1 Sicily
            EVAL "return redis.call('GEODIST', KEYS[1], 'Palermo', 'Catania')" 1 Sicily
            """#)
    }
}
