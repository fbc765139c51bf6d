/// One line of a probe's log (see Tests/roost-coordination-probe/main.swift):
/// `<kind> <pid> <token> <CLOCK_MONOTONIC ns> <lease valid-until ns> [details]`.
struct ProbeEvent: Sendable, Hashable {
    var kind: String
    var pid: Int
    var token: Int64
    var time: Int64
    var validUntil: Int64
    var details: [String]

    init?(line: Substring) {
        let fields = line.split(separator: " ")
        guard fields.count >= 5, let pid = Int(fields[1]), let token = Int64(fields[2]), let time = Int64(fields[3]),
              let validUntil = Int64(fields[4])
        else { return nil }
        kind = String(fields[0])
        self.pid = pid
        self.token = token
        self.time = time
        self.validUntil = validUntil
        details = fields.dropFirst(5).map(String.init)
    }

    /// The events of a log's complete lines (a line still being written has no newline yet).
    static func parse(_ text: String) -> [ProbeEvent] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        if !text.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }
        return lines.compactMap { ProbeEvent(line: $0) }
    }
}

/// The critical sections recorded in the probes' logs, and the safety properties checked on
/// them. Pure: the tests collect the logs and the server's final state, this judges them.
struct SafetyHistory: Sendable {
    /// One critical section: a lease's token held by one probe.
    struct Section: Sendable, Hashable {
        var pid: Int
        var token: Int64
        var events: [ProbeEvent]

        var enter: ProbeEvent? { events.first { $0.kind == "enter" } }
        func has(_ kind: String) -> Bool { events.contains { $0.kind == kind } }
        /// The section's last event after `enter` (exit, stale, abort, or a step in progress).
        var last: ProbeEvent? { events.max { $0.time < $1.time } }
        /// Whether the section ended in its own process (not killed in the middle).
        var ended: Bool { has("exit") || has("stale") || has("abort") }
    }

    /// A fenced write the server acknowledged as accepted.
    struct AcceptedWrite: Sendable, Hashable {
        var pid: Int
        var token: Int64
        var sent: Int64
        var acknowledged: Int64
        var kind: String
    }

    let events: [ProbeEvent]
    /// Probes the test killed, with a CLOCK_MONOTONIC instant after they were dead.
    let killed: [Int: Int64]

    init(events: [ProbeEvent], killed: [Int: Int64] = [:]) {
        self.events = events
        self.killed = killed
    }

    var sections: [Section] {
        var byKey: [[Int64]: Section] = [:]
        for event in events where event.token > 0 {
            byKey[[Int64(event.pid), event.token], default: Section(pid: event.pid, token: event.token, events: [])].events.append(event)
        }
        return byKey.values.sorted { ($0.enter?.time ?? 0, $0.pid) < ($1.enter?.time ?? 0, $1.pid) }
    }

    func section(pid: Int, token: Int64) -> Section? { sections.first { $0.pid == pid && $0.token == token } }

    /// Each section's span while its holder's lease was valid on the holder's own (conservative)
    /// view: from `enter` to the end of the section or of the lease, whichever came first. A
    /// section cut short by kill -9 ends at the kill.
    var validIntervals: [(section: Section, start: Int64, end: Int64)] {
        sections.compactMap { section in
            guard let enter = section.enter else { return nil }
            let end: Int64
            if section.ended, let last = section.last {
                end = min(last.time, last.validUntil)
            } else if let killedAt = killed[section.pid] {
                end = killedAt
            } else {
                // Still running when the logs were read: up to what it last reported.
                guard let last = section.last else { return nil }
                end = last.validUntil
            }
            return (section, enter.time, max(end, enter.time))
        }
    }

    /// The largest number of valid intervals open at one instant, with one example of the
    /// sections involved whenever it exceeds `limit`.
    func concurrency(limit: Int) -> (maximum: Int, violations: [String]) {
        let intervals = validIntervals.filter { $0.end > $0.start }
        // Ends sort before starts at the same instant: touching intervals do not overlap.
        let points: [(time: Int64, delta: Int, index: Int)] = intervals.indices.flatMap { index in
            [(intervals[index].start, 1, index), (intervals[index].end, -1, index)]
        }.sorted { ($0.time, $0.delta) < ($1.time, $1.delta) }
        var open: Set<Int> = []
        var maximum = 0
        var violations: [String] = []
        for (_, delta, index) in points {
            if delta > 0 { open.insert(index) } else { open.remove(index) }
            maximum = max(maximum, open.count)
            if open.count > limit, violations.count < 5 {
                violations.append("\(open.count) valid holders at once: " + open.sorted().map {
                    let i = intervals[$0]
                    return "pid \(i.section.pid) token \(i.section.token) [\(i.start)…\(i.end)]"
                }.joined(separator: ", "))
            }
        }
        return (maximum, violations)
    }

    /// Fenced writes the server accepted, as the probes saw them.
    var acceptedWrites: [AcceptedWrite] {
        events.compactMap { event in
            switch event.kind {
            case "wrote":
                guard let sent = event.details.first.flatMap({ Int64($0) }) else { return nil }
                return AcceptedWrite(pid: event.pid, token: event.token, sent: sent, acknowledged: event.time, kind: event.kind)
            case "counted":
                guard event.details.count >= 2, let sent = Int64(event.details[1]) else { return nil }
                return AcceptedWrite(pid: event.pid, token: event.token, sent: sent, acknowledged: event.time, kind: event.kind)
            default:
                return nil
            }
        }
    }

    /// Accepted writes whose token is below that of a write acknowledged before they were sent:
    /// a stale write the fence let through.
    var staleAcceptances: [String] {
        let writes = acceptedWrites.sorted { $0.acknowledged < $1.acknowledged }
        var found: [String] = []
        for write in writes {
            if let earlier = writes.first(where: { $0.acknowledged < write.sent && $0.token > write.token }) {
                found.append("pid \(write.pid) wrote (\(write.kind)) with token \(write.token) after pid \(earlier.pid)'s "
                    + "token \(earlier.token) had been accepted")
            }
        }
        return found
    }

    /// Tokens that more than one probe entered a section with (lock mode: a token is one grant).
    var duplicateTokens: [String] {
        var holders: [Int64: Set<Int>] = [:]
        for section in sections where section.enter != nil { holders[section.token, default: []].insert(section.pid) }
        return holders.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
            .map { "token \($0.key) granted to pids \($0.value.sorted())" }
    }

    /// The fenced counter steps the probes saw accepted, as the history list records them
    /// (`<pid> <token> <value>`).
    var countedEntries: [String] {
        events.filter { $0.kind == "counted" }.compactMap { event in
            event.details.first.map { "\(event.pid) \(event.token) \($0)" }
        }
    }
}

/// The server's record of the fenced counter steps, in the order the server applied them.
struct FencedHistory: Sendable {
    struct Entry: Sendable, Hashable {
        var pid: Int
        var token: Int64
        var value: Int
        var text: String { "\(pid) \(token) \(value)" }
    }

    let entries: [Entry]

    init(lines: [String]) {
        entries = lines.compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let pid = Int(fields[0]), let token = Int64(fields[1]), let value = Int(fields[2]) else { return nil }
            return Entry(pid: pid, token: token, value: value)
        }
    }

    /// Places where the accepted tokens went down (the fence must forbid it).
    var tokenDecreases: [String] {
        zip(entries, entries.dropFirst()).filter { $0.1.token < $0.0.token }
            .map { "token \($0.1.token) (pid \($0.1.pid)) accepted after token \($0.0.token) (pid \($0.0.pid))" }
    }

    /// Places where the counter did not go up by exactly one: a lost update, i.e. two holders
    /// read-modify-wrote at once.
    var lostUpdates: [String] {
        var expected = 1
        var found: [String] = []
        for entry in entries {
            if entry.value != expected {
                found.append("pid \(entry.pid) token \(entry.token) wrote \(entry.value), expected \(expected)")
            }
            expected = entry.value + 1
        }
        return found
    }
}
