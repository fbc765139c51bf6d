import CoreMetrics
import RoostRESP

/// The client's metrics, reported through swift-metrics (to `MetricsSystem`'s factory unless the
/// client is given another):
///
/// - `roost_client_commands_total` (counter), dimension `result`: `success`, `server_error`
///   (an error reply) or `failure` (timeout, cancellation, connection closed);
/// - `roost_client_command_duration` (timer), from sending a command to its reply;
/// - `roost_client_connections` (gauge), connections the pool holds open;
/// - `roost_client_connect_failures_total` (counter), failed connection attempts.
struct RedisClientMetrics: Sendable {
    let succeeded: Counter
    let serverErrors: Counter
    let failed: Counter
    let duration: Timer
    let openConnections: Gauge
    let connectFailures: Counter

    init(factory: any MetricsFactory) {
        succeeded = Counter(label: "roost_client_commands_total", dimensions: [("result", "success")], factory: factory)
        serverErrors = Counter(label: "roost_client_commands_total", dimensions: [("result", "server_error")], factory: factory)
        failed = Counter(label: "roost_client_commands_total", dimensions: [("result", "failure")], factory: factory)
        duration = Timer(label: "roost_client_command_duration", dimensions: [], factory: factory)
        openConnections = Gauge(label: "roost_client_connections", dimensions: [], factory: factory)
        connectFailures = Counter(label: "roost_client_connect_failures_total", dimensions: [], factory: factory)
    }

    func record(_ result: Result<RESPValue, any Error>, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        duration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        switch result {
        case .success: succeeded.increment()
        case .failure(let error) where error is RedisServerError: serverErrors.increment()
        case .failure: failed.increment()
        }
    }
}
