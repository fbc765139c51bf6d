@testable import RoostEngine
import Testing

/// `DoubleFormat.g17`'s integer shortcut must print exactly what `printf("%.17g")` prints.
@Suite struct DoubleFormatTests {
    @Test func integerShortcutMatchesPrintf() {
        var values: [Double] = [0, -0.0, 1, -1, 100, 1e14, 999_999_999_999_999, -999_999_999_999_999, 1e15, -1e15,
                                1e16, 123_456_789_012_345, 0.5, -0.5, 1e15 - 0.5, 2.5e-300, .nan, .infinity,
                                -.infinity, Double(Int64.max), Double(Int64.min)]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            values.append(Double(Int64.random(in: -2_000_000_000_000_000...2_000_000_000_000_000, using: &generator)))
            values.append(Double(Int32.random(in: .min ... .max, using: &generator)))
            values.append(Double.random(in: -1e16...1e16, using: &generator))
        }
        for value in values {
            #expect(DoubleFormat.g17(value) == DoubleFormat.c(format: "%.17g", value), "\(value)")
        }
    }
}
