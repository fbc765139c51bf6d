import RoostEngine

/// Random commands shaped by the command table and COMMAND DOCS: every command and subcommand
/// Roost declares, with arguments that follow its documented grammar (tokens, `oneof`, `block`,
/// optional and repeated parts) filled from `FuzzValues`, then sometimes mutated (an argument
/// dropped, repeated or replaced) so that arity and syntax errors are reached too. Scripts and
/// function libraries come from `LuaSnippetGenerator`.
public struct CommandGenerator: Sendable {
    /// One command or subcommand: its name words and its documented arguments.
    struct Entry: Sendable {
        var words: [String]
        var arguments: [CommandArgumentDoc]
    }

    let entries: [Entry]
    /// Commands that create data, so that later commands meet values of every type.
    static let populating: [[String]] = [
        ["RPUSH", "k0", "a", "b", "c", "1", "2"], ["SADD", "k1", "1", "2", "3", "-5"], ["SADD", "k2", "a", "b", "c"],
        ["ZADD", "k3", "1", "a", "2", "b", "-inf", "c", "inf", "d"], ["HSET", "{t}a", "f", "v", "g", "1"],
        ["SET", "{t}b", "12345"], ["SET", "n", "10"], ["PFADD", "s", "a", "b", "c"], ["SETBIT", "k2x", "100", "1"],
        ["LPUSH", "{t}a2", "x"], ["ZADD", "{t}b2", "0", "m1", "0", "m2"], ["SET", "s", "hello world"],
    ]
    /// Configuration parameters worth changing mid-input, with values at their edges.
    static let parameters: [(name: String, values: [String])] = [
        ("maxmemory", ["0", "1", "1000", "1mb", "100mb"]),
        ("maxmemory-policy", ["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu",
                              "allkeys-random", "volatile-random", "volatile-ttl"]),
        ("list-max-listpack-size", ["-5", "-1", "1", "2", "-6", "0"]),
        ("hash-max-listpack-entries", ["0", "1", "2", "512"]), ("hash-max-listpack-value", ["0", "1", "64"]),
        ("set-max-intset-entries", ["0", "1", "2", "512"]), ("zset-max-listpack-entries", ["0", "1", "2", "128"]),
        ("zset-max-listpack-value", ["0", "1", "64"]), ("hll-sparse-max-bytes", ["0", "1", "3000"]),
        ("lfu-log-factor", ["0", "1", "10", "255"]), ("lfu-decay-time", ["0", "1", "100"]),
        ("maxmemory-samples", ["1", "5", "64"]), ("hz", ["1", "10", "500"]),
        ("client-output-buffer-limit", ["normal 1 1 1", "pubsub 0 0 0", "normal 0 0 0"]),
        ("proto-max-bulk-len", ["1mb", "512mb"]), ("busy-reply-threshold", ["0", "100", "5000"]),
    ]
    /// Commands left out: SHUTDOWN ends the process it runs in; PFSELFTEST adds ten million
    /// elements to two sketches, seconds of work that would pass for a hang.
    public static let excluded: Set<String> = ["shutdown", "pfselftest"]
    /// Commands whose reply has one element per unit of a negative count, however small the
    /// key: `SRANDMEMBER k -2147483648` builds two billion elements in Redis too (it answers only
    /// after minutes, holding gigabytes). Their counts stay within ±`countBound`.
    static let countSizedReplies: Set<String> = ["srandmember", "hrandfield", "zrandmember"]
    static let countBound: Int64 = 100_000

    let lua = LuaSnippetGenerator()

    /// A generator over `table`'s commands.
    public init(table: CommandTable = .standard) {
        var entries: [Entry] = []
        for spec in table.commands where !Self.excluded.contains(spec.name) {
            if spec.subcommands.isEmpty {
                entries.append(Entry(words: [spec.name], arguments: CommandDocExtras.lookup(spec.name)?.arguments ?? []))
            } else {
                for sub in spec.subcommands {
                    let full = spec.name + "|" + sub.name
                    entries.append(Entry(words: [spec.name, sub.name], arguments: CommandDocExtras.lookup(full)?.arguments ?? []))
                }
            }
        }
        self.entries = entries
    }

    /// A command for a fuzz input: mostly grammar-shaped, sometimes a data-creating command, a
    /// script, a function library, or a configuration change.
    public func command(_ random: inout SplitMix64) -> [[UInt8]] {
        switch random.below(20) {
        case 0, 1: return random.pick(Self.populating).map { Array($0.utf8) }
        case 2, 3: return eval(&random)
        case 4: return functionLoad(&random)
        case 5:
            let p = random.pick(Self.parameters)
            return ["CONFIG", "SET", p.name, random.pick(p.values)].map { Array($0.utf8) }
        default: return boundCounts(mutate(plainCommand(&random), &random))
        }
    }

    /// `command` with any integer argument beyond ±`countBound` brought within it, for the
    /// commands in `countSizedReplies`; other commands unchanged.
    func boundCounts(_ command: [[UInt8]]) -> [[UInt8]] {
        guard let name = command.first, Self.countSizedReplies.contains(String(decoding: name, as: UTF8.self).lowercased())
        else { return command }
        return command.map { argument in
            guard let n = Int64(String(decoding: argument, as: UTF8.self)), n.magnitude > UInt64(Self.countBound) else { return argument }
            return Array(String(n < 0 ? -Self.countBound : Self.countBound).utf8)
        }
    }

    /// A grammar-shaped command without scripts (what `redis.call` gets).
    public func plainCommand(_ random: inout SplitMix64) -> [[UInt8]] {
        let entry = random.pick(entries)
        var out = entry.words.map { Array(randomCase($0, &random).utf8) }
        for argument in entry.arguments { emit(argument, into: &out, &random) }
        return boundCounts(out)
    }

    /// EVAL or EVAL_RO of a generated script, with `numkeys` usually right.
    func eval(_ random: inout SplitMix64) -> [[UInt8]] {
        let script = lua.script(&random, commands: self)
        let keyCount = random.below(3)
        var out: [[UInt8]] = [Array((random.chance(1, in: 5) ? "EVAL_RO" : "EVAL").utf8), Array(script.utf8)]
        out.append(random.chance(1, in: 10) ? FuzzValues.integer(&random) : Array(String(keyCount).utf8))
        for _ in 0..<keyCount { out.append(Array(random.pick(FuzzValues.keys).utf8)) }
        for _ in 0..<random.below(3) { out.append(FuzzValues.any(&random)) }
        return out
    }

    /// FUNCTION LOAD of a library whose functions run generated bodies, or an FCALL of one.
    func functionLoad(_ random: inout SplitMix64) -> [[UInt8]] {
        if random.chance(1, in: 2) {
            let name = "f\(random.below(3))"
            return [Array((random.chance(1, in: 4) ? "FCALL_RO" : "FCALL").utf8), Array(name.utf8), Array("1".utf8),
                    Array(random.pick(FuzzValues.keys).utf8), FuzzValues.any(&random)]
        }
        var body = "#!lua name=lib\(random.below(3))\n"
        for i in 0..<(1 + random.below(3)) {
            let flags = random.pick(["", ", flags={'no-writes'}", ", flags={'allow-oom'}", ", flags={'bogus'}"])
            body += "redis.register_function{function_name='f\(i)', callback=function(KEYS, ARGV)\n"
            body += lua.script(&random, commands: self) + "\nend\(flags)}\n"
        }
        return [Array("FUNCTION".utf8), Array("LOAD".utf8), Array("REPLACE".utf8), Array(body.utf8)]
    }

    /// Appends one documented argument (with its token, repetitions and parts).
    func emit(_ argument: CommandArgumentDoc, into out: inout [[UInt8]], _ random: inout SplitMix64) {
        if argument.flags.contains(.optional) && random.chance(1, in: 2) { return }
        let repetitions = argument.flags.contains(.multiple) ? 1 + random.below(3) : 1
        for r in 0..<repetitions {
            if let token = argument.token, r == 0 || argument.flags.contains(.multipleToken) {
                out.append(Array(randomCase(token, &random).utf8))
            }
            switch argument.kind {
            case .pureToken: break
            case .oneof:
                if !argument.arguments.isEmpty { emitChoice(random.pick(argument.arguments), into: &out, &random) }
            case .block: for part in argument.arguments { emit(part, into: &out, &random) }
            case .key: out.append(Array(random.pick(FuzzValues.keys).utf8))
            case .integer: out.append(FuzzValues.integer(&random))
            case .double: out.append(FuzzValues.double(&random))
            case .pattern: out.append(Array(random.pick(FuzzValues.patterns).utf8))
            case .unixTime: out.append(Array(random.pick(FuzzValues.unixTimes).utf8))
            case .string: out.append(FuzzValues.any(&random))
            }
        }
    }

    /// A `oneof` choice is emitted even when the choice itself is marked optional.
    func emitChoice(_ argument: CommandArgumentDoc, into out: inout [[UInt8]], _ random: inout SplitMix64) {
        var forced = argument
        forced.flags.remove(.optional)
        emit(forced, into: &out, &random)
    }

    /// Sometimes drops, repeats, replaces or swaps arguments after the name.
    func mutate(_ command: [[UInt8]], _ random: inout SplitMix64) -> [[UInt8]] {
        guard command.count > 1, random.chance(1, in: 4) else { return command }
        var out = command
        let i = 1 + random.below(out.count - 1)
        switch random.below(4) {
        case 0: out.remove(at: i)
        case 1: out.insert(out[i], at: i)
        case 2: out[i] = FuzzValues.any(&random)
        default: out.append(FuzzValues.any(&random))
        }
        return out
    }

    /// `word` in upper, lower or mixed case (command names and tokens are case-insensitive).
    func randomCase(_ word: String, _ random: inout SplitMix64) -> String {
        switch random.below(3) {
        case 0: return word.uppercased()
        case 1: return word.lowercased()
        default: return String(word.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element })
        }
    }
}
