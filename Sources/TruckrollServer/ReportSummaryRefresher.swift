import Logging
import ServiceLifecycle
import TruckrollStore

/// Keeps the reports' stored summaries current: refreshes them at start and then every `interval`, in the background
/// of `serve`. Several API processes may run one each; they take turns on the same rows.
struct ReportSummaryRefresher: Service {
    let outcomes: SLAOutcomeStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let written = try await outcomes.refresh()
                if written > 0 { logger.info("report summaries refreshed", metadata: ["sla_outcomes": "\(written)"]) }
            } catch {
                logger.warning("report summaries not refreshed", metadata: ["error": "\(error)"])
            }
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
        }
    }
}
