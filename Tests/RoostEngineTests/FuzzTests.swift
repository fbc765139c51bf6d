import RoostEngine
import RoostFuzzing
import Testing

/// The fuzz inputs themselves: they reach every command, they reproduce from their seed, and a
/// short run of each target passes in-process (CI runs 100,000 more with `roost-fuzz`).
@Suite struct FuzzTests {
    @Test func generatedCommandsReachEveryCommandAndSubcommand() {
        let generator = CommandGenerator()
        var random = SplitMix64(seed: 3)
        var seen = Set<String>()
        for _ in 0..<60_000 {
            let words = generator.command(&random)
            let name = String(decoding: words[0], as: UTF8.self).lowercased()
            seen.insert(name)
            if words.count > 1 { seen.insert(name + "|" + String(decoding: words[1], as: UTF8.self).lowercased()) }
        }
        var missing: [String] = []
        for spec in CommandTable.standard.commands where !CommandGenerator.excluded.contains(spec.name) {
            if spec.subcommands.isEmpty {
                if !seen.contains(spec.name) { missing.append(spec.name) }
            } else {
                for sub in spec.subcommands where !seen.contains(spec.name + "|" + sub.name) {
                    missing.append(spec.name + "|" + sub.name)
                }
            }
        }
        #expect(missing.isEmpty, "never generated: \(missing)")
    }

    @Test func inputsReproduceFromTheirSeedAndIndex() {
        let fuzzer = EngineFuzzer()
        for index in [0, 1, 977, 123_456] {
            for target in EngineFuzzer.Target.allCases {
                #expect(fuzzer.describe(index, seed: 9, target: target) == fuzzer.describe(index, seed: 9, target: target))
            }
        }
        #expect(fuzzer.describe(1, seed: 9, target: .commands) != fuzzer.describe(2, seed: 9, target: .commands))
    }

    @Test(arguments: EngineFuzzer.Target.allCases)
    func aShortRunPasses(target: EngineFuzzer.Target) {
        let fuzzer = EngineFuzzer()
        for index in 0..<1_000 { fuzzer.run(index, seed: 20_261_205, target: target) }
    }
}
