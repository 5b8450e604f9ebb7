/// One route of a `TimeWarpSearch` plan, which may be infeasible: the visits, the schedule data after each visit
/// (what inserting after it starts from) and the route's cost and violation.
struct RelaxedRoute: Sendable {
    var jobs: [Int] = []
    var lockedPrefix = 0
    /// Time after serving each visit (time-warped: a late visit starts when its last window closes).
    var timeAfter: [Double] = []
    /// Cost (legs, fixed cost, visit costs) up to and including each visit.
    var costAfter: [Double] = []
    /// Time warp accumulated up to and including each visit.
    var warpAfter: [Double] = []
    var load = 0.0
    /// Cost of the whole route, return leg included (0 when empty).
    var cost = 0.0
    /// Time warp, late return and load above capacity: 0 exactly when the route is feasible.
    var violation = 0.0
}

extension CompiledProblem {
    /// Serves `job` after `time` at `node` on a time-warp schedule (Nagata, Bräysy & Dullaert 2010): a visit that
    /// would start after its last window closes starts at that closing time, and the difference is added to `warp`.
    @inline(__always)
    private func relaxedServe(_ job: Int, pair: Int, time: inout Double, node: inout Int, cost: inout Double, warp: inout Double) {
        cost += legCost(node, jobNode[job])
        let (start, lateness) = timeWarpedStart(of: job, ready: max(time + travel.time(node, jobNode[job]), pairRelease[pair]))
        warp += lateness
        time = start + pairService[pair]
        cost += visitCost(job: job, completion: time)
        node = jobNode[job]
    }

    /// Schedules `jobs` on `route` on a time-warp schedule. A route with a break is scheduled exactly
    /// (`buildRoute`) and counts as feasible or not at all (violation infinity), as in `infeasibility(of:route:)`.
    /// - Returns: the route with its forward data, cost and violation; the violation is infinity when the
    ///   technician cannot do one of the jobs.
    /// - Complexity: O(n) for n jobs.
    func relaxedRoute(_ route: Int, jobs: [Int], lockedPrefix: Int) -> RelaxedRoute {
        var state = RelaxedRoute()
        state.jobs = jobs
        state.lockedPrefix = lockedPrefix
        guard !jobs.isEmpty else { return state }
        if routeHasBreak[route] {
            if let exact = buildRoute(route, jobs: jobs, lockedPrefix: lockedPrefix) {
                state.cost = exact.cost
                state.load = exact.load
            } else {
                state.violation = .infinity
            }
            return state
        }
        var time = routeShiftStart[route], node = routeStartNode[route], cost = fixedCostPerRoute, warp = 0.0
        state.timeAfter.reserveCapacity(jobs.count)
        state.costAfter.reserveCapacity(jobs.count)
        state.warpAfter.reserveCapacity(jobs.count)
        for job in jobs {
            let pair = pair(job: job, route: route)
            guard pair >= 0 else {
                state.violation = .infinity
                return state
            }
            relaxedServe(job, pair: pair, time: &time, node: &node, cost: &cost, warp: &warp)
            state.timeAfter.append(time)
            state.costAfter.append(cost)
            state.warpAfter.append(warp)
            state.load += jobDemand[job]
        }
        state.cost = cost + legCost(node, routeEndNode[route])
        let back = time + travel.time(node, routeEndNode[route])
        state.violation = warp + max(0, back - routeShiftEnd[route]) + max(0, state.load - routeCapacity[route])
        return state
    }

    /// Change of `cost + warpWeight × violation` of `state` when `job` is inserted before `position`.
    /// - Parameter bound: evaluation stops once the change reaches it (every term only grows along the route).
    /// - Returns: the change, or infinity when it is not below `bound`.
    /// - Complexity: O(n − position).
    func relaxedInsertionDelta(of job: Int, pair: Int, into state: RelaxedRoute, route: Int, at position: Int, warpWeight: Double, bound: Double) -> Double {
        let old = state.cost + warpWeight * state.violation
        if routeHasBreak[route] {
            var jobs = state.jobs
            jobs.insert(job, at: position)
            let new = relaxedRoute(route, jobs: jobs, lockedPrefix: state.lockedPrefix)
            let delta = new.cost + warpWeight * new.violation - old
            return delta < bound ? delta : .infinity
        }
        var time: Double, node: Int, cost: Double, warp: Double
        if position == 0 {
            (time, node, cost, warp) = (routeShiftStart[route], routeStartNode[route], fixedCostPerRoute, 0)
        } else {
            (time, node, cost, warp) = (state.timeAfter[position - 1], jobNode[state.jobs[position - 1]], state.costAfter[position - 1], state.warpAfter[position - 1])
        }
        let excess = max(0, state.load + jobDemand[job] - routeCapacity[route])
        let limit = bound + old - warpWeight * excess
        relaxedServe(job, pair: pair, time: &time, node: &node, cost: &cost, warp: &warp)
        if cost + warpWeight * warp >= limit { return .infinity }
        var index = position
        while index < state.jobs.count {
            let next = state.jobs[index]
            relaxedServe(next, pair: self.pair(job: next, route: route), time: &time, node: &node, cost: &cost, warp: &warp)
            if cost + warpWeight * warp >= limit { return .infinity }
            index += 1
        }
        cost += legCost(node, routeEndNode[route])
        warp += max(0, time + travel.time(node, routeEndNode[route]) - routeShiftEnd[route])
        let delta = cost + warpWeight * (warp + excess) - old
        return delta < bound ? delta : .infinity
    }
}

/// A plan of `TimeWarpSearch`, which may break time windows, shift ends and capacities.
struct RelaxedSolution: Sendable {
    var routes: [RelaxedRoute]
    var routeOfJob: [Int]
    var unassigned: [Int]
    /// Σ route cost + Σ penalty of the unassigned jobs.
    var cost: Double
    /// Σ route violation (summed incrementally: test the routes for feasibility).
    var violation: Double

    init(_ solution: SearchSolution, compiled: CompiledProblem) {
        routes = solution.routes.enumerated().map { route, state in
            compiled.relaxedRoute(route, jobs: state.jobs, lockedPrefix: state.lockedPrefix)
        }
        routeOfJob = solution.routeOfJob
        unassigned = solution.unassigned
        cost = routes.reduce(0) { $0 + $1.cost } + unassigned.reduce(0) { $0 + compiled.jobPenalty[$1] }
        violation = routes.reduce(0) { $0 + $1.violation }
    }

    func penalised(warpWeight: Double) -> Double { cost + warpWeight * violation }

    /// Replaces a route and updates the totals and job membership (penalties of jobs leaving or entering the
    /// route are the caller's business).
    mutating func replaceRoute(_ route: Int, with state: RelaxedRoute) {
        cost += state.cost - routes[route].cost
        violation += state.violation - routes[route].violation
        routes[route] = state
        for job in state.jobs { routeOfJob[job] = route }
    }

    /// The same plan as a `SearchSolution`, or `nil` when a route is infeasible.
    func feasibleSolution(compiled: CompiledProblem) -> SearchSolution? {
        var solution = SearchSolution(compiled: compiled)
        solution.cost = unassigned.reduce(0) { $0 + compiled.jobPenalty[$1] }
        solution.unassigned = unassigned
        for (route, relaxed) in routes.enumerated() {
            guard let state = compiled.buildRoute(route, jobs: relaxed.jobs, lockedPrefix: relaxed.lockedPrefix) else { return nil }
            solution.routes[route] = state
            solution.cost += state.cost
            for job in relaxed.jobs { solution.routeOfJob[job] = route }
        }
        return solution
    }
}

/// Ruin and recreate through infeasible plans, for days with more work than the technicians can do.
///
/// The string removals and greedy reinsertion with blinks of SISR (Christiaens & Vanden Berghe 2020,
/// https://doi.org/10.1287/trsc.2019.0914), but a reinsertion may break time windows, the shift end or the capacity:
/// a late visit starts when its window closes and the difference counts as time warp (Nagata, Bräysy & Dullaert
/// (2010), "A penalty-based edge assembly memetic algorithm for the vehicle routing problem with time windows",
/// *Computers & Operations Research* 37(4):724-737, https://doi.org/10.1016/j.cor.2009.06.022), as do a late return
/// and load above capacity, each minute (or unit) priced by a weight. As in the hybrid genetic search of Vidal,
/// Crainic, Gendreau & Prins (2013), "A hybrid genetic algorithm with adaptive diversity management for a
/// large class of vehicle routing problems with time-windows", *Computers & Operations Research* 40(1):475-489,
/// https://doi.org/10.1016/j.cor.2012.07.018 (and PyVRP), the weight adapts so that a target share of the plans the
/// search holds is feasible: it falls while they all are, until serving one more job with some time warp is cheaper
/// than leaving it out, and rises while they are not, until jobs go out again or the warp is removed. The search
/// thus alternates between plans that serve more jobs than fit and plans that fit, and the ruins in between move
/// visits between routes in ways a search over feasible plans cannot take one step at a time. Acceptance is
/// simulated annealing on the penalised cost; the best feasible plan seen (least ranked penalty of the unassigned
/// jobs, then least cost) is returned.
///
/// An infeasible candidate that serves more than the best feasible plan is repaired, as HGS repairs infeasible
/// offspring (Vidal et al. 2013): the squeeze moves of Nagata & Bräysy (2009, §2.2, `SearchSolution.repairing`)
/// lower its violation with the same jobs served, and a feasible result becomes the best plan (the search itself
/// goes on from the unrepaired candidate). To bound the cost, only the candidate with the least violation at the
/// least ranked penalty since the last weight update is tried. Measured effect: docs/optimizer.md (2.).
///
/// Parallel searches meet halfway through (`PlanExchange`) and each goes on from the best plan any of them holds.
struct TimeWarpSearch {
    let context: SearchContext
    var rng: SplitMix64
    /// Price of a minute of time warp (or a unit of load above capacity).
    private(set) var warpWeight: Double
    /// Share of the held plans (after each acceptance decision) that should be feasible (PyVRP's default target is
    /// 0.43).
    static let targetFeasibleShare = 0.45
    /// Iterations between weight updates.
    static let updateInterval = 100
    /// Largest number of squeeze moves of a repair.
    static let repairSteps = 20
    /// Probability of skipping a position during insertion (β of SISR).
    let blinkRate = 0.01
    /// Share of the phase after which parallel searches exchange their best plans (`PlanExchange`).
    static let exchangeShare = 0.5

    /// - Parameters:
    ///   - context: the search context, priced as the search should price plans.
    ///   - seed: random seed.
    init(context: SearchContext, seed: UInt64) {
        self.context = context
        rng = SplitMix64(seed: seed)
        // A minute of time warp starts at the price of a minute of service time: serving a job of average length
        // with as much time warp costs about its penalty.
        let compiled = context.compiled
        var penalties = 0.0, service = 0.0
        for job in 0..<compiled.jobCount where !compiled.eligibleRoutes[job].isEmpty {
            penalties += compiled.jobPenalty[job]
            service += compiled.eligibleRoutes[job].map { compiled.pairService[compiled.pair(job: job, route: $0)] }.min() ?? 0
        }
        warpWeight = max(1, penalties / max(1, service))
    }

    /// Runs from the feasible plan `start` while the overall progress lies in `phase`, or until every job that some
    /// technician can do is served (at once when `start` serves them all).
    /// - Parameters:
    ///   - rankingPenalties: a feasible plan replaces the best one when it leaves out a smaller Σ of these, or as
    ///     much at a lower cost.
    ///   - temperatures: annealing temperatures relative to the average cost per served job of `start`.
    /// - Returns: the best feasible plan and the overall iteration count at the end.
    /// - Complexity: per iteration O(reinserted jobs × candidate routes × n²) for routes of n visits.
    mutating func run(from start: SearchSolution, limits: SearchLimits, phase: Range<Double>, firstIteration: Int, rankingPenalties: [Double],
                      temperatures: StringRemovalSearch.Temperatures, exchange: (PlanExchange, search: Int)? = nil) -> (best: SearchSolution, iterations: Int) {
        let compiled = context.compiled
        let rankedPenalty = { (unassigned: [Int]) in unassigned.sorted().reduce(0) { $0 + rankingPenalties[$1] } }
        guard start.unassigned.contains(where: { !compiled.eligibleRoutes[$0].isEmpty }) else {
            if case let (exchange, search)? = exchange { _ = exchange.offer(start, ranked: rankedPenalty(start.unassigned), search: search, waiting: false) }
            return (start, firstIteration)
        }
        var exchangePending = exchange != nil
        let exchangePoint = phase.lowerBound + Self.exchangeShare * (phase.upperBound - phase.lowerBound)
        var best = start
        var bestRanked = rankedPenalty(start.unassigned)
        var current = RelaxedSolution(start, compiled: compiled)
        var served = 0, routed = 0.0
        for state in start.routes where !state.jobs.isEmpty {
            served += state.jobs.count
            routed += state.cost
        }
        let scale = max(1, routed / Double(max(1, served)))
        let initialTemperature = temperatures.initial * scale, finalTemperature = temperatures.final * scale
        var iteration = firstIteration
        var feasibleCount = 0, heldCount = 0
        // Least violation of a candidate repaired since the last weight update, at the least ranked penalty.
        var repairRecord = (ranked: Double.infinity, violation: Double.infinity)
        while true {
            let progress = limits.progress(afterIterations: iteration)
            if progress >= phase.upperBound { break }
            if exchangePending, progress >= exchangePoint, case let (exchange, search)? = exchange {
                exchangePending = false
                if let adopted = exchange.offer(best, ranked: bestRanked, search: search, waiting: true) {
                    best = adopted
                    bestRanked = rankedPenalty(adopted.unassigned)
                    current = RelaxedSolution(adopted, compiled: compiled)
                }
            }
            iteration += 1
            var candidate = current
            let (pending, seed) = ruin(&candidate)
            if pending.isEmpty { continue }
            recreate(&candidate, jobs: order(pending, seed: seed))
            let ranked = rankedPenalty(candidate.unassigned)
            var improvement: SearchSolution?
            if candidate.routes.allSatisfy({ $0.violation == 0 }) {
                if ranked < bestRanked || (ranked == bestRanked && candidate.cost < best.cost - 1e-9 * abs(best.cost)) {
                    improvement = candidate.feasibleSolution(compiled: compiled)
                }
            } else if ranked < bestRanked
                        && (ranked < repairRecord.ranked || (ranked == repairRecord.ranked && candidate.violation < repairRecord.violation)) {
                repairRecord = (ranked, candidate.violation)
                improvement = SearchSolution.repairing(candidate, context: context, maximumSteps: Self.repairSteps, rng: &rng)
            }
            if let improvement {
                best = improvement
                bestRanked = ranked
                if !improvement.unassigned.contains(where: { !compiled.eligibleRoutes[$0].isEmpty }) { break }
            }
            let phaseProgress = max(0, (progress - phase.lowerBound) / (phase.upperBound - phase.lowerBound))
            let temperature = initialTemperature * power(finalTemperature / initialTemperature, phaseProgress)
            let threshold = current.penalised(warpWeight: warpWeight) - temperature * naturalLogarithm(max(rng.nextUnit(), .leastNormalMagnitude))
            if candidate.penalised(warpWeight: warpWeight) < threshold { current = candidate }
            heldCount += 1
            if current.routes.allSatisfy({ $0.violation == 0 }) { feasibleCount += 1 }
            if heldCount == Self.updateInterval {
                let share = Double(feasibleCount) / Double(heldCount)
                if share < Self.targetFeasibleShare - 0.05 { warpWeight *= 1.3 } else if share > Self.targetFeasibleShare + 0.05 { warpWeight *= 0.85 }
                feasibleCount = 0
                heldCount = 0
                repairRecord = (.infinity, .infinity)
            }
        }
        if exchangePending, case let (exchange, search)? = exchange { _ = exchange.offer(best, ranked: bestRanked, search: search, waiting: false) }
        return (best, iteration)
    }

    /// Inserts `jobs` one by one where the penalised cost grows least, if by less than the job's penalty.
    private mutating func recreate(_ solution: inout RelaxedSolution, jobs: [Int]) {
        let compiled = context.compiled
        var candidates: [Int] = []
        for job in jobs {
            let eligible = compiled.eligibleRoutes[job]
            candidates.removeAll(keepingCapacity: true)
            if eligible.count <= 40 {
                candidates.append(contentsOf: eligible)
            } else {
                for neighbour in context.neighbours[job] {
                    let route = solution.routeOfJob[neighbour]
                    if route >= 0, !candidates.contains(route), compiled.pair(job: job, route: route) >= 0 { candidates.append(route) }
                }
                for route in eligible where solution.routes[route].jobs.isEmpty && !candidates.contains(route) { candidates.append(route) }
            }
            var bound = compiled.jobPenalty[job]
            var chosen: (route: Int, position: Int)?
            for route in candidates {
                let state = solution.routes[route]
                let pair = compiled.pair(job: job, route: route)
                for position in state.lockedPrefix...state.jobs.count {
                    if rng.nextUnit() < blinkRate { continue }
                    let delta = compiled.relaxedInsertionDelta(of: job, pair: pair, into: state, route: route, at: position, warpWeight: warpWeight, bound: bound)
                    if delta < bound {
                        bound = delta
                        chosen = (route, position)
                    }
                }
            }
            guard let chosen else { continue }
            var sequence = solution.routes[chosen.route].jobs
            sequence.insert(job, at: chosen.position)
            solution.replaceRoute(chosen.route, with: compiled.relaxedRoute(chosen.route, jobs: sequence, lockedPrefix: solution.routes[chosen.route].lockedPrefix))
            solution.cost -= compiled.jobPenalty[job]
        }
        solution.unassigned.removeAll { solution.routeOfJob[$0] >= 0 }
    }

    /// Removes strings from up to k_s routes near a random seed job, as `StringRemovalSearch` does (Christiaens &
    /// Vanden Berghe 2020, §5.1); every unassigned job near the seed is retried, others with probability 4 / |unassigned|.
    private mutating func ruin(_ solution: inout RelaxedSolution) -> (pending: [Int], seed: Int) {
        let compiled = context.compiled
        let assignedCount = compiled.jobCount - solution.unassigned.count
        guard assignedCount > 0 else { return (solution.unassigned, 0) }
        let usedRoutes = solution.routes.count { !$0.jobs.isEmpty }
        let cardinality = Double(assignedCount) / Double(max(1, usedRoutes))
        let (averageRemoved, maximumStringLength) = StringRemovalSearch.removalScale(averageRouteCardinality: cardinality)
        let lengthLimit = min(maximumStringLength, cardinality)
        let stringCount = Int(rng.nextUnit() * (4 * averageRemoved / (1 + lengthLimit) - 1)) + 1
        var seed = -1
        for _ in 0..<8 {
            let job = rng.nextIndex(compiled.jobCount)
            if solution.routeOfJob[job] >= 0 && !context.isFixed[job] { seed = job; break }
        }
        guard seed >= 0 else { return (solution.unassigned, 0) }
        var removed: [Int] = [], retried: [Int] = [], ruinedRoutes: [Int] = []
        for job in [seed] + context.neighbours[seed] {
            if ruinedRoutes.count >= stringCount { break }
            let route = solution.routeOfJob[job]
            if route < 0 {
                if !removed.contains(job) && !retried.contains(job) { retried.append(job) }
                continue
            }
            if context.isFixed[job] || ruinedRoutes.contains(route) { continue }
            ruinedRoutes.append(route)
            removeString(around: job, route: route, lengthLimit: lengthLimit, solution: &solution, removed: &removed)
        }
        let retryProbability = min(1, 4 / Double(max(1, solution.unassigned.count)))
        for job in solution.unassigned where !retried.contains(job) && rng.nextUnit() < retryProbability { retried.append(job) }
        solution.unassigned.append(contentsOf: removed)
        return (removed + retried, seed)
    }

    /// Removes a string (or, with probability 1/2, a split string with a preserved middle part) containing `job`.
    private mutating func removeString(around job: Int, route: Int, lengthLimit: Double, solution: inout RelaxedSolution, removed: inout [Int]) {
        let compiled = context.compiled
        let state = solution.routes[route]
        guard let (kept, taken) = stringRemoval(from: state.jobs, lockedPrefix: state.lockedPrefix, around: job,
                                                lengthLimit: lengthLimit, isFixed: context.isFixed, rng: &rng) else { return }
        solution.replaceRoute(route, with: compiled.relaxedRoute(route, jobs: kept, lockedPrefix: state.lockedPrefix))
        for job in taken {
            solution.routeOfJob[job] = -1
            solution.cost += compiled.jobPenalty[job]
        }
        removed.append(contentsOf: taken)
    }

    /// Insertion order of SISR (§5.2): random (weight 4), largest penalty first (4), farthest from the seed job first
    /// (2), closest first (1).
    private mutating func order(_ jobs: [Int], seed: Int) -> [Int] {
        let compiled = context.compiled
        var ordered = jobs
        ordered.shuffle(using: &rng)
        let draw = rng.nextIndex(11)
        if draw < 4 { return ordered }
        if draw < 8 {
            ordered.sort { compiled.jobPenalty[$0] > compiled.jobPenalty[$1] }
            return ordered
        }
        let anchor = compiled.jobNode[seed]
        let distance = { (job: Int) in compiled.travel.time(anchor, compiled.jobNode[job]) }
        if draw < 10 {
            ordered.sort { distance($0) > distance($1) }
        } else {
            ordered.sort { distance($0) < distance($1) }
        }
        return ordered
    }
}
