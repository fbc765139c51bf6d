/// Error texts of the features Roost deliberately does not offer: cluster mode, modules,
/// replication and the Lua debugger. Where Redis 7.0 itself refuses (a standalone server, a
/// master with no replicas, no modules loaded) the text is Redis's, byte for byte; where Redis
/// would start replicating or debugging, Roost refuses in Redis's "… not allowed …" wording.
extension RedisError {
    /// Any CLUSTER subcommand, READONLY, READWRITE and ASKING on a standalone server.
    static let clusterSupportDisabled = RedisError("ERR This instance has cluster support disabled")
    /// MODULE LOAD, LOADEX and UNLOAD while `enable-module-command` forbids them for the client.
    static let moduleNotAllowed = RedisError(
        "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
    /// MODULE LOAD and LOADEX: Roost loads no Redis modules.
    static let moduleLoadFailed = RedisError("ERR Error loading the extension. Please check the server logs.")
    /// MODULE UNLOAD: no module is ever loaded.
    static let noSuchModule = RedisError("ERR Error unloading module: no such module with that name")

    /// REPLICAOF and SLAVEOF with a port out of range.
    static let invalidMasterPort = RedisError("ERR Invalid master port")
    /// REPLICAOF and SLAVEOF naming a master: Roost never becomes a replica. (Redis, for both
    /// commands: "REPLICAOF not allowed in cluster mode.")
    static let replicaOfNotAllowed = RedisError("ERR REPLICAOF not allowed: Roost does not support replication.")
    /// SYNC and PSYNC from a would-be replica: Roost never sends its dataset to one.
    static let syncNotAllowed = RedisError("ERR SYNC and PSYNC not allowed: Roost does not support replication.")
    /// SYNC and PSYNC while earlier replies are still waiting to be written.
    static let syncWithPendingOutput = RedisError("ERR SYNC and PSYNC are invalid with pending output")
    /// PSYNC … FAILOVER sent to a master.
    static let psyncFailoverToMaster = RedisError("ERR PSYNC FAILOVER can't be sent to a master.")
    static let noFailoverInProgress = RedisError("ERR No failover in progress.")
    static let failoverTimeoutNotPositive = RedisError("ERR FAILOVER timeout must be greater than 0")
    /// FAILOVER on a master with no replicas, which Roost always is.
    static let failoverWithoutReplicas = RedisError("ERR FAILOVER requires connected replicas.")
    static let replconfRDBOnlyRange = RedisError("ERR value is out of range, value must between 0 and 1")
    static let replconfMissingFilter = RedisError("ERR Missing rdb-filter-only values")

    /// SCRIPT DEBUG with a mode other than YES, SYNC or NO.
    static let scriptDebugMode = RedisError("ERR Use SCRIPT DEBUG YES/SYNC/NO")
    /// SCRIPT DEBUG while earlier replies are still waiting to be written (a pipeline, EXEC).
    static let scriptDebugInPipeline = RedisError("ERR SCRIPT DEBUG must be called outside a pipeline")
    /// SCRIPT DEBUG YES or SYNC: Roost has no Lua debugger to start.
    static let scriptDebugNotAllowed = RedisError("ERR SCRIPT DEBUG YES and SYNC not allowed: Roost has no Lua debugger.")
}
