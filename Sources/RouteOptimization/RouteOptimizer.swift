/// Re-planning during the day from the plan technicians are already following.
public struct Reoptimization: Sendable {
    /// The plan being followed.
    public var currentPlan: Plan
    /// The current time, in the problem's minutes.
    public var now: Double
    /// Visits of `currentPlan` starting before `now + frozenMinutes` are frozen: they, and every visit before them
    /// on the same route, keep their technician and position, and nothing is inserted before them.
    public var frozenMinutes: Double
    /// Largest number of visits of `currentPlan` that may change technician or become unassigned; `nil` for no cap.
    public var disruptionBudget: Int?

    /// Creates a re-optimisation request.
    /// - Parameters:
    ///   - currentPlan: plan being followed.
    ///   - now: current time.
    ///   - frozenMinutes: horizon of frozen visits.
    ///   - disruptionBudget: cap on visits changing technician.
    public init(currentPlan: Plan, now: Double, frozenMinutes: Double, disruptionBudget: Int? = nil) {
        self.currentPlan = currentPlan
        self.now = now
        self.frozenMinutes = frozenMinutes
        self.disruptionBudget = disruptionBudget
    }
}

/// How to run the optimiser.
public struct OptimizerOptions: Sendable {
    /// Seed of the first search; search i of `threads` uses `seed + i`.
    public var seed: UInt64
    /// Independent searches run in parallel; the best plan is kept.
    public var threads: Int
    /// When to stop.
    public var limits: SearchLimits
    /// Start from an existing plan instead of from scratch.
    public var reoptimization: Reoptimization?
    /// Called with the objective of each new best plan of the final phase (from the search's own thread, so it must
    /// be cheap); with several threads, each search reports its own. It does not change the search.
    public var onImprovement: (@Sendable (Double) -> Void)?

    /// Creates options.
    /// - Parameters:
    ///   - seed: random seed.
    ///   - threads: parallel searches (at least 1).
    ///   - limits: stopping rule.
    ///   - reoptimization: existing plan to start from.
    ///   - onImprovement: progress callback with each new best objective.
    public init(seed: UInt64 = 1, threads: Int = 1, limits: SearchLimits, reoptimization: Reoptimization? = nil,
                onImprovement: (@Sendable (Double) -> Void)? = nil) {
        self.seed = seed
        self.threads = max(1, threads)
        self.limits = limits
        self.reoptimization = reoptimization
        self.onImprovement = onImprovement
    }
}

/// What the optimiser returns.
public struct OptimizationResult: Sendable {
    /// The best plan found.
    public var plan: Plan
    /// Its cost, recomputed from the plan.
    public var cost: PlanCost
    /// Cost of the construction heuristic's plan (before the metaheuristic).
    public var initialCost: Double
    /// Ruin-and-recreate iterations, summed over the parallel searches.
    public var iterations: Int
}

/// Why optimisation could not start.
public enum OptimizationError: Error, Hashable, Sendable {
    /// The pinned visits of this technician shift cannot be scheduled in the given order.
    case infeasiblePinnedVisits(technician: Int, shift: Int)
    /// The plan to re-optimise is not feasible.
    case invalidCurrentPlan(PlanViolation)
    /// A pinned visit is not on its technician's shift in the plan to re-optimise.
    case pinnedVisitMoved(job: Int)
}

/// Assigns jobs to technician shifts and orders them to minimise weighted downtime, lateness, travel and
/// unassigned penalties (or travel only), with a construction heuristic followed by `StringRemovalSearch`.
public struct RouteOptimizer: Sendable {
    let compiled: CompiledProblem

    /// Prepares a problem.
    /// - Parameter problem: the problem; validated here.
    /// - Throws: `RoutingProblemError` naming the offending field.
    /// - Complexity: O(jobs × technicians).
    public init(problem: RoutingProblem) throws(RoutingProblemError) {
        try problem.validate()
        compiled = CompiledProblem(problem)
    }

    /// The problem being solved.
    public var problem: RoutingProblem { compiled.problem }

    /// Builds a plan and improves it until the limits are reached. With `threads` > 1, searches with consecutive seeds
    /// run in parallel, meet once halfway through the search through infeasible plans to go on from the best plan
    /// any of them holds (`PlanExchange`), and the best plan wins (ties go to the lowest seed), so the result is
    /// deterministic for a given seed, thread count and iteration limit. Each search runs on a thread of its own, not
    /// on Swift's cooperative pool, so the caller's other tasks go on meanwhile.
    /// - Parameter options: seed, threads, limits and optional re-optimisation.
    /// - Returns: the best plan found.
    /// - Throws: `OptimizationError` when pinned or current visits cannot be honoured.
    public func optimize(_ options: OptimizerOptions) async throws(OptimizationError) -> OptimizationResult {
        let (context, start) = try initialSolution(options)
        let outcomes: [(best: SearchSolution, iterations: Int)]
        if options.threads == 1 {
            outcomes = [await onThreadOfItsOwn { Self.search(context: context, start: start, seed: options.seed, limits: options.limits, onImprovement: options.onImprovement) }]
        } else {
            let exchange = PlanExchange(searches: options.threads)
            outcomes = await withTaskGroup(of: (Int, SearchSolution, Int).self) { group in
                for index in 0..<options.threads {
                    group.addTask {
                        let seed = options.seed &+ UInt64(index)
                        let outcome = await onThreadOfItsOwn {
                            Self.search(context: context, start: start, seed: seed, limits: options.limits, exchange: (exchange, index),
                                        onImprovement: options.onImprovement)
                        } otherwise: {
                            // On a pool thread, waiting at the meeting point could hold the thread a search still to
                            // start needs: this one goes without meeting the others.
                            exchange.withdraw()
                            return Self.search(context: context, start: start, seed: seed, limits: options.limits, onImprovement: options.onImprovement)
                        }
                        return (index, outcome.best, outcome.iterations)
                    }
                }
                var collected: [(Int, SearchSolution, Int)] = []
                for await outcome in group { collected.append(outcome) }
                return collected.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
            }
        }
        var best = outcomes[0].best
        for outcome in outcomes.dropFirst() where outcome.best.cost < best.cost { best = outcome.best }
        let plan = best.plan(compiled: compiled)
        let cost = (try? evaluate(plan).cost) ?? Self.unpricedCost
        return OptimizationResult(plan: plan, cost: cost, initialCost: start.cost, iterations: outcomes.reduce(0) { $0 + $1.iterations })
    }

    private static let unpricedCost = PlanCost(total: .infinity, downtime: 0, lateness: 0, travelMinutes: 0, travelDistance: 0, routesUsed: 0, unassignedPenalty: 0, assigned: 0, unassigned: 0)

    /// Largest share of the budget given to the packing phase when the first plan leaves assignable jobs out; the
    /// phase ends earlier once every job that some technician could do is served. Each unassigned job usually costs
    /// far more than the downtime the remaining budget saves: on the over-subscribed fs instances (10 s, seeds 1-3)
    /// 0.85 left 21-24 of 1,000 jobs out where 0.6 left 25-28, with as many or fewer out on the smaller ones.
    static let packingShare = 0.85
    /// Share of the remaining budget given to fleet minimisation when routes have a fixed cost.
    static let fleetShare = 0.5
    /// Share of the packing phase, at its end, given to `StringRemovalSearch.serveUnassigned` (squeeze and ejection
    /// insertions of the jobs left out); the search through infeasible plans (`TimeWarpSearch`) has the rest. At 10 s
    /// on the fs family (seed 1, same machine load) a quarter gave geomean 0.894 (`k20` 5 out, `k100` 12) and a half
    /// 0.940 (6 and 17), when SISR searched before it.
    static let ejectionShare = 0.25

    /// One search. When the constructed plan leaves out jobs that some technician could do, a packing phase
    /// (travel and service time first, `CompiledProblem.packingVariant`: a search through infeasible plans with
    /// penalised time warp, then squeeze and ejection insertions of the jobs left out) first makes room to serve as
    /// many jobs as possible, then the real objective is optimised from
    /// the better of the packed and the constructed plan. With a fixed cost per route, fleet minimisation follows.
    private static func search(context: SearchContext, start: SearchSolution, seed: UInt64, limits: SearchLimits, exchange: (PlanExchange, search: Int)? = nil,
                               onImprovement: (@Sendable (Double) -> Void)?) -> (best: SearchSolution, iterations: Int) {
        var phaseStart = start
        var phase = 0.0..<1.0
        var iterations = 0
        if start.unassigned.contains(where: { !context.compiled.eligibleRoutes[$0].isEmpty }) {
            let packingContext = context.repriced(context.compiled.packingVariant())
            // The downtime temperatures although it prices travel: with the travel ones `fs_n50_k5` served 47 jobs
            // in 5 of 9 runs at 10 s and load 6-8 (none of about 20 before), but `fs_n1000_k100` left 1-7 more out
            // in 5 of 6 runs side by side.
            var packing = StringRemovalSearch(context: packingContext, seed: seed ^ 0x5041_434B, temperatures: .downtime)
            var packingStart = start.repriced(packingContext.compiled)
            // Rebuild from scratch with packing prices, tightest windows first.
            packingStart.clearMovableJobs(context: packingContext)
            let latest = context.compiled.jobLastWindowLatest
            let order = packingStart.unassigned.sorted { latest[$0] < latest[$1] || (latest[$0] == latest[$1] && $0 < $1) }
            var scratch = InsertionScratch(routeCount: context.compiled.routeCount)
            var rng = SplitMix64(seed: seed)
            packingStart.recreate(order, context: packingContext, scratch: &scratch, rng: &rng, blinkRate: 0)
            let packed: SearchSolution
            // Penalty of the jobs no technician can do (the tolerance absorbs summation order).
            let unservable = (0..<context.compiled.jobCount).reduce(0.0) { total, job in
                context.compiled.eligibleRoutes[job].isEmpty ? total + context.compiled.jobPenalty[job] : total
            }
            let searchEnd = packingShare * (1 - ejectionShare)
            let searched: SearchSolution
            if context.tracksDisruption {
                // The time-warp search does not count moves against the disruption budget: SISR packs instead.
                (searched, iterations) = packing.run(from: packingStart, limits: limits, phase: 0..<searchEnd, firstIteration: iterations, rankingPenalties: context.compiled.jobPenalty, rankingTarget: unservable * (1 + 1e-12))
            } else {
                // The search through infeasible plans has the whole search part: it still serves more jobs at the end
                // of it. Against half of it followed by the travel-priced SISR (10 s, 2 threads, seeds 1-12),
                // `fs_n200_k20` left the reference's 4 out or fewer in 11 of 12 runs against 7 of 12, with as many
                // out on `fs_n50_k5` and `fs_n1000_k100` (docs/optimizer.md, figures of 2 December).
                var timeWarp = TimeWarpSearch(context: packingContext, seed: seed ^ 0x5741_5250)
                (searched, iterations) = timeWarp.run(from: packingStart, limits: limits, phase: 0..<searchEnd, firstIteration: iterations,
                                                      rankingPenalties: context.compiled.jobPenalty, temperatures: .downtime, exchange: exchange)
            }
            var absences = [Int](repeating: 0, count: context.compiled.jobCount)
            (packed, iterations) = packing.serveUnassigned(from: searched, limits: limits, phase: 0..<packingShare, firstIteration: iterations, absences: &absences, allowEmptyRoutes: true, poolMayGrow: false, squeezing: true, targetPenalty: unservable * (1 + 1e-12))
            let repriced = packed.repriced(context.compiled)
            if repriced.cost < start.cost { phaseStart = repriced }
            phase = min(packingShare, limits.progress(afterIterations: iterations))..<1.0
        }
        let visitsCost = context.compiled.jobCompletionWeight.contains { $0 > 0 } || context.compiled.jobLatenessCost.contains { $0 > 0 }
        var search = StringRemovalSearch(context: context, seed: seed, temperatures: visitsCost ? .downtime : .travel)
        if context.compiled.fixedCostPerRoute > 0 {
            let fleetPhase = phase.lowerBound..<(phase.lowerBound + fleetShare * (phase.upperBound - phase.lowerBound))
            let fewerRoutes: SearchSolution
            (fewerRoutes, iterations) = search.minimizeRoutes(from: phaseStart, limits: limits, phase: fleetPhase, firstIteration: iterations)
            if fewerRoutes.cost < phaseStart.cost { phaseStart = fewerRoutes }
            // Fleet minimisation ends early at the lower bound on routes; the distance search gets the rest.
            phase = min(fleetPhase.upperBound, max(fleetPhase.lowerBound, limits.progress(afterIterations: iterations)))..<phase.upperBound
        }
        onImprovement?(phaseStart.cost)
        var (best, total) = search.run(from: phaseStart, limits: limits, phase: phase, firstIteration: iterations, onImprovement: onImprovement)
        best.relocateDescent(context: context)
        return (best, total)
    }

    /// The plan of the construction heuristic alone (pinned visits, then cheapest insertion, most urgent first).
    /// - Parameter options: only `reoptimization` and `seed` are used.
    /// - Returns: the constructed plan.
    /// - Throws: `OptimizationError` when pinned or current visits cannot be honoured.
    /// - Complexity: O(jobs × eligible routes × route length) insertion evaluations.
    public func construct(_ options: OptimizerOptions) throws(OptimizationError) -> Plan {
        try initialSolution(options).solution.plan(compiled: compiled)
    }

    private func initialSolution(_ options: OptimizerOptions) throws(OptimizationError) -> (context: SearchContext, solution: SearchSolution) {
        let problem = compiled.problem
        var solution = SearchSolution(compiled: compiled)
        var isFixed = [Bool](repeating: false, count: compiled.jobCount)
        var originalTechnician = [Int](repeating: -1, count: compiled.jobCount)
        var disruptionBudget = Int.max
        var pinnedJobs: [Int: [Int]] = [:]
        for pin in problem.pinnedVisits {
            isFixed[pin.job] = true
            pinnedJobs[compiled.routeIndexOfShift[pin.technician][pin.shift], default: []].append(pin.job)
        }
        var initialRoutes: [Int: (jobs: [Int], locked: Int)] = [:]
        if let reoptimization = options.reoptimization {
            let visits: [ScheduledVisit]
            do { visits = try evaluate(reoptimization.currentPlan).visits } catch { throw .invalidCurrentPlan(error) }
            var startOf = [Double](repeating: .infinity, count: compiled.jobCount)
            for visit in visits { startOf[visit.job] = visit.start }
            for route in reoptimization.currentPlan.routes where !route.jobs.isEmpty {
                let routeIndex = compiled.routeIndexOfShift[route.technician][route.shift]
                let frozenCount = (route.jobs.lastIndex { startOf[$0] < reoptimization.now + reoptimization.frozenMinutes } ?? -1) + 1
                for (position, job) in route.jobs.enumerated() {
                    originalTechnician[job] = route.technician
                    if position < frozenCount { isFixed[job] = true }
                }
                initialRoutes[routeIndex] = (route.jobs, frozenCount)
            }
            for (route, jobs) in pinnedJobs {
                for job in jobs where !(initialRoutes[route]?.jobs.contains(job) ?? false) { throw .pinnedVisitMoved(job: job) }
            }
            disruptionBudget = reoptimization.disruptionBudget ?? Int.max
        } else {
            for (route, jobs) in pinnedJobs { initialRoutes[route] = (jobs, 0) }
        }
        for (route, initial) in initialRoutes.sorted(by: { $0.key < $1.key }) {
            guard let state = compiled.buildRoute(route, jobs: initial.jobs, lockedPrefix: initial.locked) else {
                throw .infeasiblePinnedVisits(technician: compiled.routeTechnician[route], shift: compiled.routeShift[route])
            }
            solution.replaceRoute(route, with: state)
            for job in initial.jobs { solution.cost -= compiled.jobPenalty[job] }
        }
        solution.unassigned.removeAll { solution.routeOfJob[$0] >= 0 }
        let context = SearchContext(compiled: compiled, isFixed: isFixed, originalTechnician: originalTechnician, disruptionBudget: disruptionBudget)
        // Most urgent first: Smith's ratio of downtime weight to the shortest service time.
        let urgency = (0..<compiled.jobCount).map { job -> Double in
            let service = compiled.eligibleRoutes[job].first.map { compiled.pairService[compiled.pair(job: job, route: $0)] } ?? 1
            return (compiled.jobCompletionWeight[job] + compiled.jobLatenessCost[job]) / max(1, service) + compiled.jobPenalty[job] * 1e-12
        }
        let order = solution.unassigned.filter { !compiled.eligibleRoutes[$0].isEmpty }.sorted { urgency[$0] > urgency[$1] || (urgency[$0] == urgency[$1] && $0 < $1) }
        var scratch = InsertionScratch(routeCount: compiled.routeCount)
        var rng = SplitMix64(seed: options.seed)
        solution.recreate(order, context: context, scratch: &scratch, rng: &rng, blinkRate: 0)
        return (context, solution)
    }
}
