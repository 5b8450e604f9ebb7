import FoundationEssentials
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import TruckrollPlanning
import TruckrollStore

/// Executes queued planning runs: claims one, reads the live state, solves within the run's time limit while
/// publishing progress (elapsed time, best objective) and beating the heartbeat, stores the plan, and applies it
/// when the run is an auto-applied repair. Any number of workers, in any number of processes, share the queue.
public struct PlanningWorker: Service {
    let runs: PlanRunStore
    /// Shown as the run's `worker` (host and process, then the worker number).
    public let name: String
    let pollInterval: Duration
    let staleAfter: Duration
    let logger: Logger

    /// How often a running run's heartbeat and progress are written.
    static let heartbeatInterval = Duration.seconds(1)

    /// Creates a worker.
    /// - Parameters:
    ///   - runs: the run store.
    ///   - name: this worker's name.
    ///   - pollInterval: how often to look for work when idle.
    ///   - staleAfter: a running run whose heartbeat is older than this is claimed again.
    public init(runs: PlanRunStore, name: String, pollInterval: Duration = .seconds(1), staleAfter: Duration = .seconds(30), logger: Logger) {
        self.runs = runs
        self.name = name
        self.pollInterval = pollInterval
        self.staleAfter = staleAfter
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await runs.queueRepairForLateVisits()
                if try await runOnce() { continue }
            } catch {
                logger.warning("planning worker could not reach the database", metadata: ["error": "\(error)"])
            }
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) } } catch { return }
        }
    }

    /// Claims and executes one run. Returns `false` when no run was waiting.
    @discardableResult
    public func runOnce() async throws -> Bool {
        guard let run = try await runs.claimNext(worker: name, staleAfter: staleAfter) else { return false }
        await execute(run)
        return true
    }

    /// Progress of the solve, written by the solver's thread and read by the heartbeat.
    private final class Progress: Sendable {
        let state = Mutex<(best: Double?, initial: Double?, lost: Bool)>((nil, nil, false))
    }

    /// Solves within `budget` seconds; `progress` (when given) receives each new best objective. On shutdown the
    /// search stops at once and the best plan so far is returned.
    private func solve(_ problem: PlanningProblem, options: PlanningOptions, budget: Double, progress: Progress?) async throws -> PlanningOutcome {
        let clock = ContinuousClock()
        let started = clock.now
        let stopped = Mutex(false)
        return try await withGracefulShutdownHandler {
            try await problem.solve(
                options,
                elapsedFraction: {
                    if stopped.withLock({ $0 }) || (progress?.state.withLock { $0.lost } ?? false) { return 1 }
                    return (clock.now - started) / .seconds(budget)
                },
                onImprovement: { objective in
                    progress?.state.withLock { state in
                        if state.initial == nil { state.initial = objective }
                        state.best = min(state.best ?? objective, objective)
                    }
                })
        } onGracefulShutdown: {
            stopped.withLock { $0 = true }
        }
    }

    private func execute(_ run: PlanRunStore.ClaimedRun) async {
        let clock = ContinuousClock()
        let started = clock.now
        let elapsed = { @Sendable in
            (clock.now - started) / .seconds(1)
        }
        let metadata: Logger.Metadata = ["plan.run": "\(run.id)", "plan.kind": "\(run.kind)"]
        logger.info("planning run started", metadata: metadata)
        let progress = Progress()
        do {
            let snapshot = try await runs.snapshot(for: run)
            let heartbeat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.heartbeatInterval)
                    let state = progress.state.withLock { $0 }
                    let owned = (try? await runs.reportProgress(run: run.id, worker: name, elapsedSeconds: elapsed(),
                                                                initialObjective: state.initial, bestObjective: state.best)) ?? true
                    if !owned { progress.state.withLock { $0.lost = true } }
                }
            }
            defer { heartbeat.cancel() }
            // A what-if run solves the snapshot with and without its changes, each in half the time.
            let budget = run.whatIf == nil ? run.options.timeLimitSeconds : run.options.timeLimitSeconds / 2
            var outcome = try await solve(PlanningProblem(snapshot: run.whatIf?.applied(to: snapshot) ?? snapshot, travel: runs.travel),
                                          options: run.whatIf?.applied(to: run.options) ?? run.options, budget: budget, progress: progress)
            if run.whatIf != nil {
                let baseline = try await solve(PlanningProblem(snapshot: snapshot, travel: runs.travel), options: run.options,
                                               budget: budget, progress: nil)
                outcome.review.baseline = baseline.review.kpis
            }
            heartbeat.cancel()
            let seconds = elapsed()
            guard try await runs.finish(run: run.id, worker: name, outcome: outcome, elapsedSeconds: seconds) else {
                logger.warning("planning run taken over by another worker", metadata: metadata)
                return
            }
            Counter(label: "truckroll_planning_runs_total", dimensions: [("kind", run.kind), ("outcome", "done")]).increment()
            Timer(label: "truckroll_planning_run_duration_seconds", dimensions: [("kind", run.kind)], preferredDisplayUnit: .seconds)
                .recordSeconds(seconds)
            Gauge(label: "truckroll_planning_objective", dimensions: [("kind", run.kind)]).record(outcome.review.objective)
            logger.info("planning run done", metadata: metadata.merging([
                "plan.seconds": "\(seconds)", "plan.objective": "\(outcome.review.objective)",
                "plan.unassigned": "\(outcome.review.kpis.unassigned)",
            ]) { $1 })
            if run.autoApply {
                let report = try await runs.apply(run.id, as: PlanRunStore.planner)
                logger.info("planning run applied", metadata: metadata.merging(["plan.report": "\(report)"]) { $1 })
            }
        } catch {
            Counter(label: "truckroll_planning_runs_total", dimensions: [("kind", run.kind), ("outcome", "failed")]).increment()
            logger.error("planning run failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            try? await runs.fail(run: run.id, worker: name, message: "\(error)")
        }
    }
}
