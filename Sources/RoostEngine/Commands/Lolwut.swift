import NIOCore
import RoostRESP

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// LOLWUT [VERSION v] [arguments…] (Redis's `lolwut.c`, `lolwut5.c` and `lolwut6.c`): version 5
/// draws Georg Nees's "Schotter" in braille, version 6 a city skyline in terminal colours, and
/// every other version, the default included, the version line Redis 7.0 prints. The drawing
/// code keeps Redis's `float` and `double` steps, so a drawing without randomness (Schotter
/// with at most two rows) is byte-identical to Redis's.
enum LolwutCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("lolwut", arity: -1, flags: [.readonly, .fast], categories: ["read", "fast"],
                    group: "server", since: "5.0.0", summary: "Display some computer art and the Redis version",
                    handler: lolwut),
    ]

    static func lolwut(_ c: CommandContext) throws(RedisError) {
        var version = Engine.redisVersion
        var arguments = Array(c.arguments.dropFirst())
        if arguments.count >= 2 && arguments[0].equalsCaseInsensitive("version") {
            guard let v = RedisInteger.parse(arguments[1]) else { throw .notInteger }
            // `snprintf("%u.0.0", (unsigned int)ver)`.
            version = "\(UInt32(truncatingIfNeeded: v)).0.0"
            arguments.removeFirst(2)
        }
        let v = Array(version.utf8)
        func at(_ i: Int) -> UInt8 { i < v.count ? v[i] : 0 }
        let dot = UInt8(ascii: "."), nine = UInt8(ascii: "9")
        if (at(0) == UInt8(ascii: "5") && at(1) == dot && at(2) != nine)
            || (at(0) == UInt8(ascii: "4") && at(1) == dot && at(2) == nine) {
            try schotter(c, arguments)
        } else if (at(0) == UInt8(ascii: "6") && at(1) == dot && at(2) != nine)
            || (at(0) == UInt8(ascii: "5") && at(1) == dot && at(2) == nine) {
            try skyline(c, arguments)
        } else {
            c.reply.verbatim("Redis ver. \(Engine.redisVersion)\n")
        }
    }

    /// The optional numeric arguments, parsed in order, each clamped to `1...limit`.
    static func numbers(_ arguments: [ByteBuffer], defaults: [Int], limits: [Int]) throws(RedisError) -> [Int] {
        var values = defaults
        for i in 0..<min(arguments.count, defaults.count) {
            guard let n = RedisInteger.parse(arguments[i]) else { throw .notInteger }
            values[i] = Int(max(1, min(n, Int64(limits[i]))))
        }
        return values
    }

    /// C's `rand()`: 0 through RAND_MAX.
    static func rand() -> Int { Int(Int32.random(in: 0...Int32.max)) }

    // MARK: - Version 5: Schotter

    /// LOLWUT VERSION 5 [columns] [squares per row] [squares per column].
    static func schotter(_ c: CommandContext, _ arguments: [ByteBuffer]) throws(RedisError) {
        let n = try numbers(arguments, defaults: [66, 8, 12], limits: [1000, 200, 200])
        let canvas = drawSchotter(columns: n[0], squaresPerRow: n[1], squaresPerColumn: n[2])
        c.reply.verbatim(canvas.braille() + "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. \(Engine.redisVersion)\n")
    }

    static func drawSchotter(columns: Int, squaresPerRow: Int, squaresPerColumn: Int) -> LolwutCanvas {
        let width = columns * 2
        let padding = width > 4 ? 2 : 0
        let side = Float(width - padding * 2) / Float(squaresPerRow)
        let height = Int(side * Float(squaresPerColumn) + Float(padding * 2))
        var canvas = LolwutCanvas(width: width, height: height, color: 0)
        for y in 0..<squaresPerColumn {
            for x in 0..<squaresPerRow {
                var sx = Int(Float(x) * side + side / 2 + Float(padding))
                var sy = Int(Float(y) * side + side / 2 + Float(padding))
                // Squares turn and shift more at random the lower their row.
                var angle: Float = 0
                if y > 1 {
                    var r1 = Float(rand()) / Float(Int32.max) / Float(squaresPerColumn) * Float(y)
                    var r2 = Float(rand()) / Float(Int32.max) / Float(squaresPerColumn) * Float(y)
                    var r3 = Float(rand()) / Float(Int32.max) / Float(squaresPerColumn) * Float(y)
                    if rand() % 2 != 0 { r1 = -r1 }
                    if rand() % 2 != 0 { r2 = -r2 }
                    if rand() % 2 != 0 { r3 = -r3 }
                    angle = r1
                    sx = Int(Float(sx) + r2 * side / 3)
                    sy = Int(Float(sy) + r3 * side / 3)
                }
                canvas.drawSquare(x: sx, y: sy, size: side, angle: angle)
            }
        }
        return canvas
    }

    // MARK: - Version 6: skyline

    /// LOLWUT VERSION 6 [columns] [rows].
    static func skyline(_ c: CommandContext, _ arguments: [ByteBuffer]) throws(RedisError) {
        let n = try numbers(arguments, defaults: [80, 20], limits: [1000, 1000])
        var canvas = LolwutCanvas(width: n[0], height: n[1], color: 3)
        drawSkyline(&canvas)
        c.reply.verbatim(canvas.colors() + "\nDedicated to the 8 bit game developers of past and present.\n"
                         + "Original 8 bit image from Plaguemon by hikikomori. Redis ver. \(Engine.redisVersion)\n")
    }

    /// One skyscraper: its left edge, size, colour and whether it has windows.
    struct Skyscraper {
        var offset = 0, width = 0, height = 0, color = 0
        var windows = false
    }

    static func drawSkyscraper(_ canvas: inout LolwutCanvas, _ s: Skyscraper) {
        let startY = canvas.height - 1
        let endY = startY - s.height + 1
        guard endY <= startY else { return }
        for y in stride(from: startY, through: endY, by: -1) {
            for x in s.offset..<max(s.offset, s.offset + s.width) {
                // The roof is four pixels narrower.
                if y == endY && (x <= s.offset + 1 || x >= s.offset + s.width - 2) { continue }
                var color = s.color
                if s.windows && x > s.offset + 1 && x < s.offset + s.width - 2 && y > endY + 1 && y < startY - 1 {
                    let relX = x - (s.offset + 1), relY = y - (endY + 1)
                    // Windows are two pixels wide and one tall.
                    if (relX / 2) % 2 != 0 && relY % 2 != 0 {
                        repeat { color = 1 + rand() % 2 } while color == s.color
                        if relX % 2 != 0 { color = canvas.pixel(x - 1, y) }
                    }
                }
                canvas.draw(x, y, color)
            }
        }
    }

    /// Two rows of window-less towers in the greys, the lighter behind, then dark towers with
    /// windows in front.
    static func drawSkyline(_ canvas: inout LolwutCanvas) {
        var s = Skyscraper()
        for color in [2, 1] {
            s.color = color
            var offset = -10
            while offset < canvas.width {
                offset += rand() % 8
                s.offset = offset
                s.width = 10 + rand() % 9
                s.height = canvas.height / 2 + (rand() % canvas.height) / (color == 2 ? 2 : 3)
                s.windows = false
                drawSkyscraper(&canvas, s)
                offset += color == 2 ? s.width / 2 : s.width + 1
            }
        }
        s.color = 0
        var offset = -10
        while offset < canvas.width {
            offset += rand() % 8
            s.offset = offset
            s.width = 5 + rand() % 14
            if s.width % 4 != 0 { s.width += s.width % 3 }
            s.height = canvas.height / 3 + (rand() % canvas.height) / 2
            s.windows = true
            drawSkyscraper(&canvas, s)
            offset += s.width + 5
        }
    }
}

/// A grid of pixels, each a colour number, as Redis's `lwCanvas`.
struct LolwutCanvas {
    let width: Int
    let height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, color: UInt8) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: color, count: width * height)
    }

    /// Sets a pixel; outside the canvas, nothing.
    mutating func draw(_ x: Int, _ y: Int, _ color: Int) {
        if x < 0 || x >= width || y < 0 || y >= height { return }
        pixels[x + y * width] = UInt8(color)
    }

    /// A pixel's colour; outside the canvas, 0.
    func pixel(_ x: Int, _ y: Int) -> Int {
        if x < 0 || x >= width || y < 0 || y >= height { return 0 }
        return Int(pixels[x + y * width])
    }

    /// Bresenham's line from (x1, y1) to (x2, y2).
    mutating func drawLine(_ x1: Int, _ y1: Int, _ x2: Int, _ y2: Int) {
        var x1 = x1, y1 = y1
        let dx = abs(x2 - x1), dy = abs(y2 - y1)
        let sx = x1 < x2 ? 1 : -1, sy = y1 < y2 ? 1 : -1
        var err = dx - dy
        while true {
            draw(x1, y1, 1)
            if x1 == x2 && y1 == y2 { break }
            let e2 = err * 2
            if e2 > -dy {
                err -= dy
                x1 += sx
            }
            if e2 < dx {
                err += dx
                y1 += sy
            }
        }
    }

    /// A square centred on (x, y), `size` wide, turned by `angle` radians: its corners lie on
    /// a circle, at `angle + π/4` and then every `π/2`. Redis's mix of `float` and `double`
    /// arithmetic is kept step by step.
    mutating func drawSquare(x: Int, y: Int, size: Float, angle: Float) {
        var size = Float(Double(size) / 1.4142135623)
        size = Float(Double(size).rounded())
        var k = Float(Double.pi / 4 + Double(angle))
        var px = [Int](repeating: 0, count: 4), py = [Int](repeating: 0, count: 4)
        for j in 0..<4 {
            px[j] = Int((sin(Double(k)) * Double(size) + Double(x)).rounded())
            py[j] = Int((cos(Double(k)) * Double(size) + Double(y)).rounded())
            k = Float(Double(k) + Double.pi / 2)
        }
        for j in 0..<4 { drawLine(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4]) }
    }

    /// Version 5's rendering: each 2×4 block of pixels as one braille character.
    func braille() -> String {
        var text: [UInt8] = []
        for y in stride(from: 0, to: height, by: 4) {
            for x in stride(from: 0, to: width, by: 2) {
                var byte = 0
                if pixel(x, y) != 0 { byte |= 1 << 0 }
                if pixel(x, y + 1) != 0 { byte |= 1 << 1 }
                if pixel(x, y + 2) != 0 { byte |= 1 << 2 }
                if pixel(x + 1, y) != 0 { byte |= 1 << 3 }
                if pixel(x + 1, y + 1) != 0 { byte |= 1 << 4 }
                if pixel(x + 1, y + 2) != 0 { byte |= 1 << 5 }
                if pixel(x, y + 3) != 0 { byte |= 1 << 6 }
                if pixel(x + 1, y + 3) != 0 { byte |= 1 << 7 }
                let code = 0x2800 + byte
                text.append(UInt8(0xE0 | (code >> 12)))
                text.append(UInt8(0x80 | ((code >> 6) & 0x3F)))
                text.append(UInt8(0x80 | (code & 0x3F)))
            }
            if y != height - 1 { text.append(10) }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Version 6's rendering: each pixel a space in one of four greys, foreground and
    /// background both set.
    func colors() -> String {
        var text = ""
        for y in 0..<height {
            for x in 0..<width {
                let escape = switch pixel(x, y) {
                case 1: "0;90;100m"
                case 2: "0;37;47m"
                case 3: "0;97;107m"
                default: "0;30;40m"
                }
                text += "\u{1b}[\(escape) \u{1b}[0m"
            }
            if y != height - 1 { text += "\n" }
        }
        return text
    }
}
