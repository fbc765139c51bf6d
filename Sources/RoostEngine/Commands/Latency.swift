import NIOCore

/// One latency event's recent history, as Redis's `latencyTimeSeries`: at most one sample a
/// second (the worst of that second), the last 160 seconds that had one, and the worst ever.
struct LatencyTimeSeries {
    static let length = 160

    struct Sample {
        /// Unix seconds; 0 for a slot never used.
        var time: Int64 = 0
        var milliseconds: Int64 = 0
    }

    /// The slot the next sample goes to.
    var next = 0
    var worst: Int64 = 0
    var samples = [Sample](repeating: Sample(), count: length)

    mutating func add(_ milliseconds: Int64, at now: Int64) {
        if milliseconds > worst { worst = milliseconds }
        let previous = (next + Self.length - 1) % Self.length
        if samples[previous].time == now {
            if milliseconds > samples[previous].milliseconds { samples[previous].milliseconds = milliseconds }
            return
        }
        samples[next] = Sample(time: now, milliseconds: milliseconds)
        next = (next + 1) % Self.length
    }

    var latest: Sample { samples[(next + Self.length - 1) % Self.length] }

    /// The used slots, oldest first.
    var history: [Sample] {
        (0..<Self.length).map { samples[(next + $0) % Self.length] }.filter { $0.time != 0 }
    }
}

/// Redis's latency monitor (`latency.c`): the events that took `latency-monitor-threshold`
/// milliseconds or more, by event name, in the order they were first seen.
struct LatencyMonitor {
    var events: [(name: String, series: LatencyTimeSeries)] = []

    /// `latencyAddSample`.
    mutating func add(_ event: String, milliseconds: Int64, now: Int64) {
        if let i = events.firstIndex(where: { $0.name == event }) {
            events[i].series.add(milliseconds, at: now)
        } else {
            var series = LatencyTimeSeries()
            series.add(milliseconds, at: now)
            events.append((event, series))
        }
    }

    func series(_ event: String) -> LatencyTimeSeries? { events.first { $0.name == event }?.series }

    /// `latencyResetEvent`: forgets `event` (any case), or every event for nil; returns how many.
    mutating func reset(_ event: String?) -> Int {
        let before = events.count
        if let event {
            let lower = event.lowercased()
            events.removeAll { $0.name.lowercased() == lower }
        } else {
            events.removeAll()
        }
        return before - events.count
    }

    /// `analyzeLatencyForEvent`'s figures: the samples, their average and mean absolute deviation
    /// (integer divisions as Redis does them), and the seconds since the oldest one (at least 1).
    struct Analysis {
        var samples = 0
        var average: Int64 = 0
        var deviation: Int64 = 0
        var period: Int64 = 0
    }

    static func analyze(_ series: LatencyTimeSeries, now: Int64) -> Analysis {
        var a = Analysis()
        let history = series.history
        guard !history.isEmpty else { return a }
        a.samples = history.count
        a.average = history.reduce(0) { $0 + $1.milliseconds } / Int64(history.count)
        a.period = max(now - history.map(\.time).min()!, 1)
        a.deviation = history.reduce(0) { $0 + abs(a.average - $1.milliseconds) } / Int64(history.count)
        return a
    }
}

/// LATENCY and its subcommands.
enum LatencyCommands {
    static let flags: CommandFlags = [.admin, .noscript, .loading, .stale]
    static let categories = ["admin", "slow", "dangerous"]
    static let tips = ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]

    static let specs: [CommandSpec] = [
        CommandSpec("latency", arity: -2, categories: ["slow"], group: "server", since: "2.8.13",
                    summary: "A container for latency diagnostics commands", subcommands: [
                        CommandSpec("doctor", arity: 2, flags: flags, categories: categories, tips: tips,
                                    group: "server", since: "2.8.13",
                                    summary: "Return a human readable latency analysis report.",
                                    complexity: "O(1)", handler: doctor),
                        CommandSpec("graph", arity: 3, flags: flags, categories: categories, tips: tips,
                                    group: "server", since: "2.8.13", summary: "Return a latency graph for the event.",
                                    complexity: "O(1)", handler: graph),
                        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow"],
                                    group: "server", since: "2.8.13",
                                    summary: "Show helpful text about the different subcommands.",
                                    complexity: "O(1)", handler: help),
                        CommandSpec("histogram", arity: -2, flags: flags, categories: categories, tips: tips,
                                    group: "server", since: "7.0.0",
                                    summary: "Return the cumulative distribution of latencies of a subset of commands or all.",
                                    complexity: "O(N) where N is the number of commands with latency information being retrieved.",
                                    handler: histogram),
                        CommandSpec("history", arity: 3, flags: flags, categories: categories, tips: tips,
                                    group: "server", since: "2.8.13",
                                    summary: "Return timestamp-latency samples for the event.",
                                    complexity: "O(1)", handler: history),
                        CommandSpec("latest", arity: 2, flags: flags, categories: categories, tips: tips,
                                    group: "server", since: "2.8.13",
                                    summary: "Return the latest latency samples for all events.",
                                    complexity: "O(1)", handler: latest),
                        CommandSpec("reset", arity: -2, flags: flags, categories: categories,
                                    tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
                                    group: "server", since: "2.8.13", summary: "Reset latency data for one or more events.",
                                    complexity: "O(1)", handler: reset),
                    ], complexity: "Depends on subcommand."),
    ]

    static func text(_ c: CommandContext, _ index: Int) -> String { String(decoding: c.bytes(index), as: UTF8.self) }

    static func history(_ c: CommandContext) throws(RedisError) {
        c.engine.takeAppendOnlyLatency()
        let samples = c.engine.latencyMonitor.series(text(c, 2))?.history ?? []
        c.reply.arrayHeader(samples.count)
        for s in samples {
            c.reply.arrayHeader(2)
            c.reply.integer(s.time)
            c.reply.integer(s.milliseconds)
        }
    }

    static func latest(_ c: CommandContext) throws(RedisError) {
        c.engine.takeAppendOnlyLatency()
        let events = c.engine.latencyMonitor.events
        c.reply.arrayHeader(events.count)
        for (name, series) in events {
            let last = series.latest
            c.reply.arrayHeader(4)
            c.reply.bulk(string: name)
            c.reply.integer(last.time)
            c.reply.integer(last.milliseconds)
            c.reply.integer(series.worst)
        }
    }

    static func reset(_ c: CommandContext) throws(RedisError) {
        c.engine.takeAppendOnlyLatency()
        if c.count == 2 {
            c.reply.integer(c.engine.latencyMonitor.reset(nil))
            return
        }
        var resets = 0
        for j in 2..<c.count { resets += c.engine.latencyMonitor.reset(text(c, j)) }
        c.reply.integer(resets)
    }

    static func doctor(_ c: CommandContext) throws(RedisError) {
        c.engine.takeAppendOnlyLatency()
        c.reply.verbatim(c.engine.latencyReport(now: Engine.clock() / 1000))
    }

    static func graph(_ c: CommandContext) throws(RedisError) {
        c.engine.takeAppendOnlyLatency()
        let name = text(c, 2)
        guard let series = c.engine.latencyMonitor.series(name) else {
            throw RedisError("ERR No samples available for event '\(name)'")
        }
        c.reply.verbatim(LatencyGraph.render(event: name, series, now: Engine.clock() / 1000))
    }

    /// LATENCY HISTOGRAM [command …]: each named command (a container also gives its
    /// subcommands) that has a histogram, unknown names skipped, repeats repeated.
    static func histogram(_ c: CommandContext) throws(RedisError) {
        let engine = c.engine
        var specs: [CommandSpec] = []
        if c.count == 2 {
            for command in engine.commandTable.commands {
                specs.append(command)
                specs.append(contentsOf: command.subcommands)
            }
        } else {
            for j in 2..<c.count {
                guard let (spec, _) = CommandIntrospection.lookup(engine.commandTable, fullName: c.arguments[j]) else {
                    continue
                }
                specs.append(spec)
                specs.append(contentsOf: spec.subcommands)
            }
        }
        var found: [(String, LatencyHistogram)] = []
        for spec in specs {
            if let counters = engine.statistics.commands[ObjectIdentifier(spec)], !counters.latency.isEmpty {
                found.append((counters.name, counters.latency))
            }
        }
        if c.count == 2 { found.sort { $0.0 < $1.0 } }
        c.reply.mapHeader(found.count)
        for (name, histogram) in found {
            c.reply.bulk(string: name)
            c.reply.mapHeader(2)
            c.reply.bulk("calls")
            c.reply.integer(histogram.totalCount)
            c.reply.bulk("histogram_usec")
            let distribution = histogram.cumulativeDistribution()
            c.reply.mapHeader(distribution.count)
            for step in distribution {
                c.reply.integer(step.microseconds)
                c.reply.integer(step.count)
            }
        }
    }

    static func help(_ c: CommandContext) throws(RedisError) {
        ConnectionCommands.writeHelp(c, [
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
            "HELP",
            "    Prints this help.",
        ])
    }
}

/// LATENCY GRAPH's text: a header, a rule, and Redis's sparkline (`sparkline.c`) of the
/// samples, four rows high with `_o#|` fill, labelled vertically with each sample's age.
enum LatencyGraph {
    static let columns = 80
    static let rows = 4
    static let fill: [Character] = ["_", "o", "#"]

    static func render(event: String, _ series: LatencyTimeSeries, now: Int64) -> String {
        let history = series.history
        let values = history.map(\.milliseconds)
        let labels = history.map { age(now - $0.time) }
        var out = "\(event) - high \(values.max() ?? 0) ms, low \(values.min() ?? 0) ms (all time high \(series.worst) ms)\n"
        out += String(repeating: "-", count: columns) + "\n"
        var start = 0
        while start < values.count {
            if start != 0 { out += "\n" }
            let end = min(start + columns, values.count)
            out += sparkline(values.map(Double.init), labels, range: start..<end)
            start = end
        }
        return out
    }

    /// The label for a sample `seconds` old: `12s`, `3m`, `5h`, `2d`.
    static func age(_ seconds: Int64) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" }
        if seconds < 3600 * 24 { return "\(seconds / 3600)h" }
        return "\(seconds / (3600 * 24))d"
    }

    /// `sparklineRenderRange` for the samples in `range`, scaled between the minimum and
    /// maximum of all samples.
    static func sparkline(_ values: [Double], _ labels: [String], range: Range<Int>) -> String {
        let low = values.min() ?? 0, high = values.max() ?? 0
        let relativeMax = high - low == 0 ? 1 : high - low
        let steps = fill.count * rows
        let labelChars = labels.map(Array.init)
        var out = ""
        var row = 0
        while true {
            var line = [Character](repeating: " ", count: range.count)
            var more = false
            for (column, j) in range.enumerated() {
                if row < rows {
                    var step = Int(Double(Int((values[j] - low) * Double(steps))) / relativeMax)
                    step = min(max(step, 0), steps - 1)
                    let index = step - (rows - row - 1) * fill.count
                    more = true
                    if index >= 0 && index < fill.count {
                        line[column] = fill[index]
                    } else if index >= fill.count {
                        line[column] = "|"
                    }
                } else {
                    // One blank row between the graph and the labels.
                    if row - rows < 1 {
                        more = true
                        break
                    }
                    let char = row - rows - 1
                    if labelChars[j].count > char {
                        more = true
                        line[column] = labelChars[j][char]
                    }
                }
            }
            guard more else { break }
            row += 1
            out += String(line) + "\n"
        }
        return out
    }
}
