import NIOCore

/// CLUSTER and its subcommands, READONLY, READWRITE and ASKING, as a standalone Redis 7.0
/// (`cluster-enabled no`) answers them: each is declared as Redis declares it, so COMMAND INFO
/// matches, and once its arity passes it answers that cluster support is disabled.
///
/// Roost does not build a cluster of its own: a user who outgrows one server moves to Redis
/// Cluster or Valkey, which Roost's client and toolkit already run on (DESIGN.md).
enum ClusterCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("readonly", arity: 1, flags: [.loading, .stale, .fast], categories: ["fast", "connection"],
                    group: "cluster", since: "3.0.0",
                    summary: "Enables read queries for a connection to a cluster replica node", complexity: "O(1)",
                    handler: refuse),
        CommandSpec("readwrite", arity: 1, flags: [.loading, .stale, .fast], categories: ["fast", "connection"],
                    group: "cluster", since: "3.0.0",
                    summary: "Disables read queries for a connection to a cluster replica node", complexity: "O(1)",
                    handler: refuse),
        CommandSpec("asking", arity: 1, flags: [.fast], categories: ["fast", "connection"],
                    group: "cluster", since: "3.0.0",
                    summary: "Sent by cluster clients after an -ASK redirect", complexity: "O(1)",
                    handler: refuse),
        // The RESTORE that MIGRATE sends to a cluster node importing a slot; outside a
        // cluster it restores as RESTORE does.
        CommandSpec("restore-asking", arity: -4, flags: [.write, .denyoom, .asking],
                    categories: ["keyspace", "write", "slow", "dangerous"], group: "server", since: "3.0.0",
                    summary: "An internal command for migrating keys in a cluster",
                    complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
                    handler: DumpRestoreCommands.restore),
        CommandSpec("cluster", arity: -2, categories: ["slow"], group: "cluster", since: "3.0.0",
                    summary: "A container for cluster commands", subcommands: subcommands,
                    complexity: "Depends on subcommand."),
    ]

    /// The kinds of CLUSTER subcommand, by the flags and ACL categories Redis gives them.
    enum Kind {
        /// Changes the cluster's configuration (ADDSLOTS, MEET, SETSLOT…).
        case configuring
        /// Reads the node's view (INFO, NODES, SLOTS…).
        case reading
        /// Reads, but is an admin command (REPLICAS, COUNT-FAILURE-REPORTS…).
        case inspecting
        /// RESET, the one refused in scripts.
        case resetting
        /// HELP.
        case help

        var flags: CommandFlags {
            switch self {
            case .configuring: [.admin, .stale, .noAsyncLoading]
            case .reading: [.stale]
            case .inspecting: [.admin, .stale]
            case .resetting: [.admin, .noscript, .stale]
            case .help: [.loading, .stale]
            }
        }

        var categories: [String] {
            switch self {
            case .configuring, .inspecting, .resetting: ["admin", "slow", "dangerous"]
            case .reading, .help: ["slow"]
            }
        }
    }

    static func subcommand(_ name: String, arity: Int, _ kind: Kind, since: String, nondeterministic: Bool = false,
                           summary: String, complexity: String) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: kind.flags, categories: kind.categories,
                    tips: nondeterministic ? ["nondeterministic_output"] : [], group: "cluster", since: since,
                    summary: summary, complexity: complexity, handler: refuse)
    }

    /// In the order Redis 7.0 lists them.
    static let subcommands: [CommandSpec] = [
        subcommand("addslotsrange", arity: -4, .configuring, since: "7.0.0",
                   summary: "Assign new hash slots to receiving node",
                   complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments."),
        subcommand("reset", arity: -2, .resetting, since: "3.0.0",
                   summary: "Reset a Redis Cluster node",
                   complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect."),
        subcommand("nodes", arity: 2, .reading, since: "3.0.0", nondeterministic: true,
                   summary: "Get Cluster config for the node",
                   complexity: "O(N) where N is the total number of Cluster nodes"),
        subcommand("forget", arity: 3, .configuring, since: "3.0.0",
                   summary: "Remove a node from the nodes table",
                   complexity: "O(1)"),
        subcommand("delslots", arity: -3, .configuring, since: "3.0.0",
                   summary: "Set hash slots as unbound in receiving node",
                   complexity: "O(N) where N is the total number of hash slot arguments"),
        subcommand("getkeysinslot", arity: 4, .reading, since: "3.0.0", nondeterministic: true,
                   summary: "Return local key names in the specified hash slot",
                   complexity: "O(log(N)) where N is the number of requested keys"),
        subcommand("info", arity: 2, .reading, since: "3.0.0", nondeterministic: true,
                   summary: "Provides info about Redis Cluster node state",
                   complexity: "O(1)"),
        subcommand("replicate", arity: 3, .configuring, since: "3.0.0",
                   summary: "Reconfigure a node as a replica of the specified master node",
                   complexity: "O(1)"),
        subcommand("help", arity: 2, .help, since: "5.0.0",
                   summary: "Show helpful text about the different subcommands",
                   complexity: "O(1)"),
        subcommand("meet", arity: -4, .configuring, since: "3.0.0",
                   summary: "Force a node cluster to handshake with another node",
                   complexity: "O(1)"),
        subcommand("countkeysinslot", arity: 3, .reading, since: "3.0.0",
                   summary: "Return the number of local keys in the specified hash slot",
                   complexity: "O(1)"),
        subcommand("slots", arity: 2, .reading, since: "3.0.0", nondeterministic: true,
                   summary: "Get array of Cluster slot to node mappings",
                   complexity: "O(N) where N is the total number of Cluster nodes"),
        subcommand("set-config-epoch", arity: 3, .configuring, since: "3.0.0",
                   summary: "Set the configuration epoch in a new node",
                   complexity: "O(1)"),
        subcommand("flushslots", arity: 2, .configuring, since: "3.0.0",
                   summary: "Delete a node's own slots information",
                   complexity: "O(1)"),
        subcommand("saveconfig", arity: 2, .configuring, since: "3.0.0",
                   summary: "Forces the node to save cluster state on disk",
                   complexity: "O(1)"),
        subcommand("myid", arity: 2, .reading, since: "3.0.0",
                   summary: "Return the node id",
                   complexity: "O(1)"),
        subcommand("setslot", arity: -4, .configuring, since: "3.0.0",
                   summary: "Bind a hash slot to a specific node",
                   complexity: "O(1)"),
        subcommand("delslotsrange", arity: -4, .configuring, since: "7.0.0",
                   summary: "Set hash slots as unbound in receiving node",
                   complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments."),
        subcommand("shards", arity: 2, .reading, since: "7.0.0", nondeterministic: true,
                   summary: "Get array of cluster slots to node mappings",
                   complexity: "O(N) where N is the total number of cluster nodes"),
        subcommand("addslots", arity: -3, .configuring, since: "3.0.0",
                   summary: "Assign new hash slots to receiving node",
                   complexity: "O(N) where N is the total number of hash slot arguments"),
        subcommand("slaves", arity: 3, .inspecting, since: "3.0.0", nondeterministic: true,
                   summary: "List replica nodes of the specified master node",
                   complexity: "O(1)"),
        subcommand("links", arity: 2, .reading, since: "7.0.0", nondeterministic: true,
                   summary: "Returns a list of all TCP links to and from peer nodes in cluster",
                   complexity: "O(N) where N is the total number of Cluster nodes"),
        subcommand("count-failure-reports", arity: 3, .inspecting, since: "3.0.0", nondeterministic: true,
                   summary: "Return the number of failure reports active for a given node",
                   complexity: "O(N) where N is the number of failure reports"),
        subcommand("replicas", arity: 3, .inspecting, since: "5.0.0", nondeterministic: true,
                   summary: "List replica nodes of the specified master node",
                   complexity: "O(1)"),
        subcommand("failover", arity: -2, .configuring, since: "3.0.0",
                   summary: "Forces a replica to perform a manual failover of its master.",
                   complexity: "O(1)"),
        subcommand("keyslot", arity: 3, .reading, since: "3.0.0",
                   summary: "Returns the hash slot of the specified key",
                   complexity: "O(N) where N is the number of bytes in the key"),
        subcommand("bumpepoch", arity: 2, .configuring, since: "3.0.0", nondeterministic: true,
                   summary: "Advance the cluster config epoch",
                   complexity: "O(1)"),
    ]

    /// Redis's `clusterCommand`, `readonlyCommand`, `readwriteCommand` and `askingCommand` with
    /// cluster support disabled.
    static func refuse(_ c: CommandContext) throws(RedisError) {
        throw .clusterSupportDisabled
    }
}
