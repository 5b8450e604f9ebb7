import LibPQ
import Metrics
import Prometheus

/// The process's metrics, in Prometheus' text format at `GET /metrics`: requests by route and status with their
/// latency (Hummingbird's `MetricsMiddleware`), and the database pool.
public enum ServiceMetrics {
    /// The registry every metric of the process goes to; swift-metrics is bootstrapped with it once, on first use.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static let poolOpen = registry.makeGauge(name: "truckroll_db_pool_connections_open", help: "Database connections open")
    static let poolInUse = registry.makeGauge(name: "truckroll_db_pool_connections_in_use", help: "Database connections leased")
    static let poolWaiting = registry.makeGauge(name: "truckroll_db_pool_waiting", help: "Requests waiting for a connection")
    static let poolWaits = registry.makeGauge(name: "truckroll_db_pool_waits_total", help: "Requests that waited for a connection")
    static let poolTimeouts = registry.makeGauge(name: "truckroll_db_pool_timeouts_total",
                                                 help: "Requests that got no connection within the lease timeout (503)")

    /// The exposition text, with the pool's figures read now.
    static func exposition(pool: PGPool) -> String {
        let statistics = pool.statistics
        poolOpen.set(Double(statistics.open))
        poolInUse.set(Double(statistics.inUse))
        poolWaiting.set(Double(statistics.waiting))
        poolWaits.set(Double(statistics.waits))
        poolTimeouts.set(Double(statistics.timeouts))
        return registry.emitToString()
    }
}
