// The seeded generator and the fuzz inputs belong to the test support every suite imports.
@_exported import RoostFuzzing
// The servers the tests start (RedisServerProcess, RedisClusterProcess, RoostTestServer) and the
// raw connections and processes behind them live in RoostTesting, which users get too.
@_exported import RoostTesting
