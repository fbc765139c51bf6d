import RoostRESP

/// The latency monitor's samples (`latency-monitor-threshold`), LATENCY DOCTOR's report and
/// INFO latencystats (`latency-tracking`), as Redis 7.0's `latency.c` and `server.c` produce them.
extension Engine {
    /// Whether events are being timed: `latency-monitor-threshold` is above 0.
    var monitorsLatency: Bool { configuration.latencyMonitorThreshold > 0 }

    /// `latencyAddSampleIfNeeded`: records `event` when it took the threshold or more.
    func sampleLatency(_ event: String, milliseconds: Int64) {
        let threshold = configuration.latencyMonitorThreshold
        if threshold > 0 && milliseconds >= threshold {
            latencyMonitor.add(event, milliseconds: milliseconds, now: Engine.clock() / 1000)
        }
    }

    /// Samples `event` with the milliseconds since `startedMicroseconds` (`clockMicroseconds`).
    func sampleLatency(_ event: String, since startedMicroseconds: Int64) {
        sampleLatency(event, milliseconds: (Engine.clockMicroseconds() - startedMicroseconds) / 1000)
    }

    /// Offers `key` to a blocked client; when that serves it, records the command's latency as
    /// Redis's `updateStatsOnUnblock` does: the first call's time plus the serving time in the
    /// command's histogram, and the serving time as a `command-unblocking` event.
    func served(_ client: Client, _ wait: BlockedWait, _ db: Database, _ key: ByteString) -> Bool {
        let started = Engine.monotonicMicroseconds()
        guard wait.serve(self, client, db, key) else { return false }
        let serving = Engine.monotonicMicroseconds() - started
        if configuration.latencyTracking, let command = wait.command {
            statistics.commands[command]?.latency.record(nanoseconds: (wait.callMicroseconds + serving) * 1000)
        }
        if monitorsLatency { sampleLatency("command-unblocking", milliseconds: serving / 1000) }
        return true
    }

    /// Moves the append-only file's write and fsync latencies (measured outside the lock) into
    /// the monitor, and tells the file the threshold in force.
    func takeAppendOnlyLatency() {
        guard let file = aof.file else { return }
        for s in file.exchangeLatencySamples(threshold: configuration.latencyMonitorThreshold) {
            latencyMonitor.add(s.event, milliseconds: s.milliseconds, now: s.time)
        }
    }

    /// INFO latencystats lines: each command's percentiles of `latency-tracking-info-percentiles`,
    /// in microseconds, by command name.
    var latencyStatsFields: [(String, String)] {
        guard configuration.latencyTracking else { return [] }
        let percentiles = configuration.latencyTrackingInfoPercentiles
        return statistics.commands.values.filter { !$0.latency.isEmpty }.sorted { $0.name < $1.name }.map { c in
            let values = percentiles.map { p in
                "p\(EngineConfiguration.percentileText(p))="
                    + GeoCommands.cFormat("%.3f", Double(c.latency.value(atPercentile: p)) / 1000)
            }
            return ("latency_percentiles_usec_" + ServerInfo.safe(c.name), values.joined(separator: ","))
        }
    }

    /// `createLatencyReport`: LATENCY DOCTOR's text.
    func latencyReport(now: Int64) -> String {
        let monitor = latencyMonitor
        if monitor.events.isEmpty && !monitorsLatency {
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
        }
        var advice = LatencyAdvice()
        var report = ""
        for (number, (name, series)) in monitor.events.enumerated() {
            if number == 0 {
                report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"
            }
            let a = LatencyMonitor.analyze(series, now: now)
            let period = GeoCommands.cFormat("%.2f", Double(a.period) / Double(a.samples))
            report += "\(number + 1). \(name): \(a.samples) latency spikes (average \(a.average)ms, mean deviation \(a.deviation)ms, period \(period) sec). Worst all time event \(series.worst)ms."
            advice.note(event: name.lowercased(), slowlogLogSlowerThan: Int64(configuration.slowlogLogSlowerThan),
                        threshold: configuration.latencyMonitorThreshold)
            report += "\n"
        }
        if monitor.events.isEmpty && advice.count == 0 {
            report += "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
        } else if advice.count == 0 {
            report += "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n"
        } else {
            report += "\nI have a few advices for you:\n\n"
            report += advice.text(threshold: configuration.latencyMonitorThreshold,
                                  fsyncAlways: configuration.appendFsync == .always,
                                  hz: min(max(configuration.hz, 1), 500))
        }
        return report
    }
}

/// The advice LATENCY DOCTOR collects from the events it saw, printed in Redis's order.
struct LatencyAdvice {
    var count = 0
    var given: Set<Kind> = []

    enum Kind: CaseIterable {
        case slowlogEnabled, slowlogTuning, slowlogInspect, scheduler, localDisk, ssd, dataWriteback,
             diskContention, noAppendfsync, relaxFsyncPolicy, writeLoadInfo, hz, largeObjects, massEviction
    }

    private mutating func add(_ kinds: Kind...) {
        given.formUnion(kinds)
        count += kinds.count
    }

    mutating func note(event: String, slowlogLogSlowerThan: Int64, threshold: Int64) {
        switch event {
        case "command":
            if slowlogLogSlowerThan < 0 {
                add(.slowlogEnabled)
            } else if slowlogLogSlowerThan / 1000 > threshold {
                add(.slowlogTuning)
            }
            add(.slowlogInspect, .largeObjects)
        case "fast-command": add(.scheduler)
        case "aof-write-pending-fsync": add(.localDisk, .diskContention, .ssd, .dataWriteback)
        case "aof-write-active-child": add(.noAppendfsync, .dataWriteback, .ssd)
        case "aof-write-alone": add(.localDisk, .dataWriteback, .ssd)
        case "aof-fsync-always": add(.relaxFsyncPolicy)
        case "aof-fstat", "rdb-unlink-temp-file": add(.diskContention, .localDisk)
        case "aof-rewrite-diff-write", "aof-rename": add(.writeLoadInfo, .dataWriteback, .ssd, .localDisk)
        case "expire-cycle": add(.hz, .largeObjects)
        case "eviction-del": add(.largeObjects)
        case "eviction-cycle": add(.massEviction)
        default: break
        }
    }

    func text(threshold: Int64, fsyncAlways: Bool, hz: Int) -> String {
        var out = ""
        for kind in Kind.allCases where given.contains(kind) {
            switch kind {
            case .slowlogEnabled:
                out += "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than \(threshold * 1000)'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"
            case .slowlogTuning:
                out += "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than \(threshold * 1000)'.\n"
            case .slowlogInspect:
                out += "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n"
            case .scheduler:
                out += "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                    + "  1) Lower the system load.\n"
                    + "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                    + "  3) Check if you have a \"noisy neighbour\" problem.\n"
                    + "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                    + "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n"
            case .localDisk:
                out += "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n"
            case .ssd:
                out += "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n"
            case .dataWriteback:
                out += "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n"
            case .diskContention:
                out += "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n"
            case .noAppendfsync:
                out += "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n"
            case .relaxFsyncPolicy:
                if fsyncAlways {
                    out += "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n"
                }
            case .writeLoadInfo:
                out += "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n"
            case .hz:
                if hz < 100 {
                    out += "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n"
                }
            case .largeObjects:
                out += "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n"
            case .massEviction:
                out += "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n"
            }
        }
        return out
    }
}
