#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// INFO's `instantaneous_*` figures, as Redis's `trackInstantaneousMetric` computes them: every
/// 100 ms the background cycle records each counter's rate since the last sample, and INFO
/// reports the mean of the last 16 rates. CONFIG RESETSTAT clears them with the other statistics.
public struct InstantaneousMetrics: Sendable {
    /// Redis's `STATS_METRIC_SAMPLES`.
    static let sampleCount = 16
    /// Redis's `STATS_METRIC_*`: commands, input bytes, output bytes.
    enum Metric: Int, CaseIterable {
        case commands, netInput, netOutput
    }

    var samples = Array(repeating: Array(repeating: Int64(0), count: sampleCount), count: Metric.allCases.count)
    var index = Array(repeating: 0, count: Metric.allCases.count)
    var lastSampleTime = Array(repeating: Int64(0), count: Metric.allCases.count)
    var lastSampleCount = Array(repeating: Int64(0), count: Metric.allCases.count)
    /// Background cycles run, for Redis's `run_with_period(100)`.
    var cycles: Int64 = 0

    /// Records `reading` (the counter's current value) at `now` (milliseconds).
    mutating func track(_ metric: Metric, _ reading: Int64, now: Int64) {
        let m = metric.rawValue
        let elapsed = now - lastSampleTime[m]
        let delta = reading - lastSampleCount[m]
        samples[m][index[m]] = elapsed > 0 ? delta * 1000 / elapsed : 0
        index[m] = (index[m] + 1) % Self.sampleCount
        lastSampleTime[m] = now
        lastSampleCount[m] = reading
    }

    /// The mean of the last 16 per-second rates (Redis's `getInstantaneousMetric`).
    func rate(_ metric: Metric) -> Int64 {
        samples[metric.rawValue].reduce(0, +) / Int64(Self.sampleCount)
    }
}

/// The largest query and output buffers of any client over the last seconds, as Redis's
/// `clientsCronTrackExpansiveClients` keeps them: one slot per second, eight slots.
struct RecentClientBuffers {
    /// Redis's `CLIENTS_PEAK_MEM_USAGE_SLOTS`.
    static let slots = 8
    var input = Array(repeating: 0, count: slots)
    var output = Array(repeating: 0, count: slots)
    /// The second the current slot belongs to.
    var second: Int64 = -1

    /// Records every client's buffers at `now` (Unix seconds), starting a fresh slot each second.
    mutating func track(_ clients: Dictionary<Int64, Client>.Values, now: Int64) {
        let slot = Int(now % Int64(Self.slots))
        if now != second {
            // The slot ahead is the oldest: it holds what is now eight seconds old.
            let next = (slot + 1) % Self.slots
            input[next] = 0
            output[next] = 0
            if now - second > 1 || second < 0 {
                input = Array(repeating: 0, count: Self.slots)
                output = Array(repeating: 0, count: Self.slots)
            }
            second = now
        }
        for client in clients {
            input[slot] = max(input[slot], client.queryBufferLength)
            output[slot] = max(output[slot], client.reply.bufferedBytes)
        }
    }

    var maxInput: Int { input.max() ?? 0 }
    var maxOutput: Int { output.max() ?? 0 }
}

extension Engine {
    /// INFO's share of the background cycle, run with the lock held `hz` times a second: the
    /// instantaneous metrics every 100 ms and the clients' recent buffer peaks.
    public func infoCron(hz: Int) {
        let now = Engine.clock()
        let period = Int64(1000 / max(1, min(500, hz)))
        var metrics = statistics.instantaneous
        if 100 <= period || metrics.cycles % (100 / period) == 0 {
            metrics.track(.commands, statistics.commandsProcessed, now: now)
            metrics.track(.netInput, statistics.netInputBytes, now: now)
            metrics.track(.netOutput, statistics.netOutputBytes, now: now)
        }
        metrics.cycles += 1
        statistics.instantaneous = metrics
        recentClientBuffers.track(clients.values, now: now / 1000)
    }

    /// 40 random hex digits: the `run_id` of this process.
    static func newRunID() -> String {
        var random = SystemRandomNumberGenerator()
        return randomReplicationID(using: &random)
    }

    /// Clients blocked with a timeout (Redis's `clients_timeout_table`).
    var clientsWithTimeout: Int {
        clients.values.reduce(0) { $0 + (($1.blocked?.deadline ?? 0) > 0 ? 1 : 0) }
    }
}

extension Engine {
    /// Records one active expiry cycle for INFO, as Redis's `activeExpireCycle` does: its
    /// duration, and the share of sampled keys found expired, averaged with weight 0.05.
    func recordExpireCycle(since start: Int64, sampled: Int, expired: Int) {
        statistics.expireCycleMicroseconds += Engine.clockMicroseconds() - start
        let current = sampled > 0 ? Double(expired) / Double(sampled) : 0
        statistics.expiredStaleShare = current * 0.05 + statistics.expiredStaleShare * 0.95
    }
}

extension Engine {
    /// Counts a read of `bytes` from a client's socket (none when the input was kept from an
    /// earlier read).
    public func countRead(bytes: Int) {
        statistics.netInputBytes += Int64(bytes)
        if bytes > 0 { statistics.readsProcessed += 1 }
    }

    /// Counts a reply of `bytes` written to a client's socket.
    public func countWrite(bytes: Int) {
        statistics.netOutputBytes += Int64(bytes)
        if bytes > 0 { statistics.writesProcessed += 1 }
    }
}
