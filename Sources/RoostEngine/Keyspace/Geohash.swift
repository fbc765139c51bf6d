#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The 52-bit geohash Redis stores as a geo member's sorted-set score, and the search areas and
/// distances of its geo commands (`geohash.c`, `geohash_helper.c`). Every step follows Redis's
/// arithmetic in the same order, with the C library's trigonometry, so that scores, positions
/// and distances are bit-identical with redis-server's.
enum Geohash {
    static let longitudeRange = (min: -180.0, max: 180.0)
    /// Web Mercator's limits: no position at the poles.
    static let latitudeRange = (min: -85.05112878, max: 85.05112878)
    /// 26 bits per coordinate: 52 bits in all, exact in a double.
    static let maxStep: UInt8 = 26
    static let earthRadius = 6372797.560856
    static let mercatorMax = 20037726.37
    static let degreesToRadians = Double.pi / 180.0

    /// Interleaved bits of a hash with `step` bits per coordinate; latitude takes the even bits.
    struct Bits: Equatable {
        var bits: UInt64
        var step: UInt8
        /// Redis's "zero" hash, a neighbour excluded from a search.
        static let zero = Bits(bits: 0, step: 0)
        var isZero: Bool { bits == 0 && step == 0 }
    }

    struct Area {
        var longitude: (min: Double, max: Double)
        var latitude: (min: Double, max: Double)
    }

    typealias Range = (min: Double, max: Double)

    // MARK: Bits

    static func interleave(_ xlo: UInt32, _ ylo: UInt32) -> UInt64 {
        let b: [UInt64] = [0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
                           0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF]
        let s: [UInt64] = [1, 2, 4, 8, 16]
        var x = UInt64(xlo), y = UInt64(ylo)
        for i in stride(from: 4, through: 0, by: -1) {
            x = (x | (x << s[i])) & b[i]
            y = (y | (y << s[i])) & b[i]
        }
        return x | (y << 1)
    }

    static func deinterleave(_ interleaved: UInt64) -> UInt64 {
        let b: [UInt64] = [0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
                           0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF]
        let s: [UInt64] = [0, 1, 2, 4, 8, 16]
        var x = interleaved, y = interleaved >> 1
        for i in 0..<6 {
            x = (x | (x >> s[i])) & b[i]
            y = (y | (y >> s[i])) & b[i]
        }
        return x | (y << 32)
    }

    /// C's conversion of a double to `uint32_t` as x86-64 compiles it (truncation; the offsets
    /// here are never negative or over 2^32).
    private static func cUInt32(_ d: Double) -> UInt32 {
        UInt32(truncatingIfNeeded: cUInt64(d))
    }

    /// C's `(uint64_t)` of a double as gcc compiles it on x86-64: `cvttsd2si`, through 2^63 for
    /// large values; NaN and out-of-range values give what the instruction gives.
    static func cUInt64(_ d: Double) -> UInt64 {
        let twoTo63 = 9223372036854775808.0
        if d.isNaN { return 1 << 63 }
        if d < twoTo63 {
            if d >= -twoTo63 { return UInt64(bitPattern: Int64(d)) }
            return 1 << 63
        }
        let rest = d - twoTo63
        let converted: UInt64 = rest < twoTo63 ? UInt64(bitPattern: Int64(rest)) : 1 << 63
        return converted ^ (1 << 63)
    }

    // MARK: Encoding

    /// The hash of a position with `step` bits per coordinate in the given ranges; nil outside
    /// them (Redis's `geohashEncode`).
    static func encode(longitude: Double, latitude: Double, step: UInt8,
                       longitudeRange: Range = longitudeRange, latitudeRange: Range = latitudeRange) -> Bits? {
        if step > 32 || step == 0 { return nil }
        if longitude > Self.longitudeRange.max || longitude < Self.longitudeRange.min
            || latitude > Self.latitudeRange.max || latitude < Self.latitudeRange.min { return nil }
        if latitude < latitudeRange.min || latitude > latitudeRange.max
            || longitude < longitudeRange.min || longitude > longitudeRange.max { return nil }
        var latOffset = (latitude - latitudeRange.min) / (latitudeRange.max - latitudeRange.min)
        var longOffset = (longitude - longitudeRange.min) / (longitudeRange.max - longitudeRange.min)
        latOffset *= Double(UInt64(1) << UInt64(step))
        longOffset *= Double(UInt64(1) << UInt64(step))
        return Bits(bits: interleave(cUInt32(latOffset), cUInt32(longOffset)), step: step)
    }

    /// The sorted-set score of a position (already checked to be in range).
    static func score(longitude: Double, latitude: Double) -> UInt64 {
        guard let hash = encode(longitude: longitude, latitude: latitude, step: maxStep) else { return 0 }
        return align52(hash)
    }

    static func align52(_ hash: Bits) -> UInt64 {
        hash.bits << UInt64(52 - Int(hash.step) * 2)
    }

    // MARK: Decoding

    static func decode(_ hash: Bits, longitudeRange: Range = longitudeRange,
                       latitudeRange: Range = latitudeRange) -> Area? {
        if hash.isZero { return nil }
        let separated = deinterleave(hash.bits)
        let latScale = latitudeRange.max - latitudeRange.min
        let longScale = longitudeRange.max - longitudeRange.min
        let ilato = UInt32(truncatingIfNeeded: separated)
        let ilono = UInt32(truncatingIfNeeded: separated >> 32)
        let cells = Double(UInt64(1) << UInt64(hash.step))
        return Area(
            longitude: (longitudeRange.min + (Double(ilono) * 1.0 / cells) * longScale,
                        longitudeRange.min + (Double(UInt64(ilono) + 1) * 1.0 / cells) * longScale),
            latitude: (latitudeRange.min + (Double(ilato) * 1.0 / cells) * latScale,
                       latitudeRange.min + (Double(UInt64(ilato) + 1) * 1.0 / cells) * latScale))
    }

    /// The centre of an area, clamped to the valid ranges.
    static func center(_ area: Area) -> (longitude: Double, latitude: Double) {
        var x = (area.longitude.min + area.longitude.max) / 2
        x = Swift.min(Swift.max(x, longitudeRange.min), longitudeRange.max)
        var y = (area.latitude.min + area.latitude.max) / 2
        y = Swift.min(Swift.max(y, latitudeRange.min), latitudeRange.max)
        return (x, y)
    }

    /// The position a member's score stands for (Redis's `decodeGeohash`).
    static func position(score: Double) -> (longitude: Double, latitude: Double)? {
        guard let area = decode(Bits(bits: cUInt64(score), step: maxStep)) else { return nil }
        return center(area)
    }

    /// The 11-character standard geohash of a score (GEOHASH): decoded, then encoded again with
    /// latitudes -90…90, the last character always `0` as Redis gives it.
    static func standardText(score: Double) -> [UInt8]? {
        guard let (x, y) = position(score: score),
              let hash = encode(longitude: x, latitude: y, step: 26, longitudeRange: (-180, 180),
                                latitudeRange: (-90, 90)) else { return nil }
        let alphabet = Array("0123456789bcdefghjkmnpqrstuvwxyz".utf8)
        var out: [UInt8] = []
        for i in 0..<10 {
            let shift = UInt64(52 - (i + 1) * 5)
            out.append(alphabet[Int((hash.bits >> shift) & 0x1f)])
        }
        out.append(alphabet[0])
        return out
    }

    // MARK: Neighbours

    /// Moves a hash one cell along one coordinate (`d` > 0 forward, < 0 back): the bits under
    /// `moving` (0xaa… longitude, 0x55… latitude) are incremented or decremented as one number
    /// while the other coordinate's bits are kept.
    private static func move(_ hash: inout Bits, _ d: Int, moving: UInt64) {
        if d == 0 { return }
        let shift = UInt64(64 - Int(hash.step) * 2)
        var moved = hash.bits & moving
        let kept = hash.bits & ~moving
        let zz: UInt64 = ~moving >> shift
        if d > 0 {
            moved = moved &+ (zz &+ 1)
        } else {
            moved = moved | zz
            moved = moved &- (zz &+ 1)
        }
        moved &= (moving >> shift)
        hash.bits = moved | kept
    }

    private static func moved(_ hash: Bits, _ dx: Int, _ dy: Int) -> Bits {
        var out = hash
        move(&out, dx, moving: 0xaaaaaaaaaaaaaaaa)
        move(&out, dy, moving: 0x5555555555555555)
        return out
    }

    // MARK: Distances

    static func radians(_ degrees: Double) -> Double { degrees * degreesToRadians }
    static func degrees(_ radians: Double) -> Double { radians / degreesToRadians }

    static func latitudeDistance(_ lat1: Double, _ lat2: Double) -> Double {
        earthRadius * fabs(radians(lat2) - radians(lat1))
    }

    /// The haversine great-circle distance in meters.
    static func distance(_ lon1: Double, _ lat1: Double, _ lon2: Double, _ lat2: Double) -> Double {
        let lon1r = radians(lon1), lon2r = radians(lon2)
        let v = sin((lon2r - lon1r) / 2)
        if v == 0.0 { return latitudeDistance(lat1, lat2) }
        let lat1r = radians(lat1), lat2r = radians(lat2)
        let u = sin((lat2r - lat1r) / 2)
        let a = u * u + cos(lat1r) * cos(lat2r) * v * v
        return 2.0 * earthRadius * asin(sqrt(a))
    }

    // MARK: Search areas

    /// A search: around a centre, a circle of `radius` or a box of `width` × `height`, in a unit
    /// of `conversion` meters.
    struct Shape {
        enum Kind { case circle(radius: Double), box(width: Double, height: Double) }
        var longitude = 0.0, latitude = 0.0
        var kind = Kind.circle(radius: 0)
        var conversion = 1.0

        /// The distance from the centre to a point when the point is inside the shape.
        func distanceIfInside(longitude x: Double, latitude y: Double) -> Double? {
            switch kind {
            case .circle(let radius):
                let d = Geohash.distance(longitude, latitude, x, y)
                return d > radius * conversion ? nil : d
            case .box(let width, let height):
                if Geohash.latitudeDistance(y, latitude) > height * conversion / 2 { return nil }
                if Geohash.distance(x, y, longitude, y) > width * conversion / 2 { return nil }
                return Geohash.distance(longitude, latitude, x, y)
            }
        }

        /// min longitude, min latitude, max longitude, max latitude.
        var bounds: (Double, Double, Double, Double) {
            let (h, w): (Double, Double)
            switch kind {
            case .circle(let radius): (h, w) = (conversion * radius, conversion * radius)
            case .box(let width, let height): (h, w) = (conversion * height / 2, conversion * width / 2)
            }
            let latDelta = Geohash.degrees(h / Geohash.earthRadius)
            let longDeltaTop = Geohash.degrees(w / Geohash.earthRadius / cos(Geohash.radians(latitude + latDelta)))
            let longDeltaBottom = Geohash.degrees(w / Geohash.earthRadius / cos(Geohash.radians(latitude - latDelta)))
            let southern = latitude < 0
            return (southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
                    latitude - latDelta,
                    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
                    latitude + latDelta)
        }

        /// The radius in meters used to choose the hash precision.
        var radiusMeters: Double {
            switch kind {
            case .circle(let radius): return radius * conversion
            case .box(let width, let height): return sqrt((width / 2) * (width / 2) + (height / 2) * (height / 2)) * conversion
            }
        }
    }

    /// The precision whose cells are about the size of a search of `meters` at `latitude`.
    static func estimateSteps(radius meters: Double, latitude: Double) -> UInt8 {
        if meters == 0 { return 26 }
        var range = meters
        var step = 1
        while range < mercatorMax {
            range *= 2
            step += 1
        }
        step -= 2
        if latitude > 66 || latitude < -66 {
            step -= 1
            if latitude > 80 || latitude < -80 { step -= 1 }
        }
        return UInt8(Swift.min(Swift.max(step, 1), 26))
    }

    /// The centre cell and its eight neighbours that cover `shape`, in Redis's order (centre,
    /// north, south, east, west, north-east, north-west, south-east, south-west); neighbours that
    /// cannot hold a match are `.zero`.
    static func searchCells(_ shape: Shape) -> [Bits] {
        let (minLon, minLat, maxLon, maxLat) = shape.bounds
        var steps = estimateSteps(radius: shape.radiusMeters, latitude: shape.latitude)
        func cells(_ steps: UInt8) -> (Bits, [Bits], Area) {
            let hash = encode(longitude: shape.longitude, latitude: shape.latitude, step: steps) ?? .zero
            let n = [moved(hash, 0, 1), moved(hash, 0, -1), moved(hash, 1, 0), moved(hash, -1, 0),
                     moved(hash, 1, 1), moved(hash, -1, 1), moved(hash, 1, -1), moved(hash, -1, -1)]
            let area = decode(hash) ?? Area(longitude: (0, 0), latitude: (0, 0))
            return (hash, n, area)
        }
        var (hash, n, area) = cells(steps)
        var decrease = false
        if let north = decode(n[0]), north.latitude.max < maxLat { decrease = true }
        if let south = decode(n[1]), south.latitude.min > minLat { decrease = true }
        if let east = decode(n[2]), east.longitude.max < maxLon { decrease = true }
        if let west = decode(n[3]), west.longitude.min > minLon { decrease = true }
        if steps > 1 && decrease {
            steps -= 1
            (hash, n, area) = cells(steps)
        }
        if steps >= 2 {
            // north 0, south 1, east 2, west 3, NE 4, NW 5, SE 6, SW 7
            if area.latitude.min < minLat { for i in [1, 7, 6] { n[i] = .zero } }
            if area.latitude.max > maxLat { for i in [0, 4, 5] { n[i] = .zero } }
            if area.longitude.min < minLon { for i in [3, 7, 5] { n[i] = .zero } }
            if area.longitude.max > maxLon { for i in [2, 6, 4] { n[i] = .zero } }
        }
        return [hash] + n
    }

    /// The score range [min, max) of every point inside cell `hash`.
    static func scoreRange(of hash: Bits) -> (min: Double, max: Double) {
        var next = hash
        next.bits &+= 1
        return (Double(align52(hash)), Double(align52(next)))
    }
}
