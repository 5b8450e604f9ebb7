extension CompiledProblem {
    /// When a visit ready at `ready` starts on a time-warp schedule (Nagata, Bräysy & Dullaert 2010): in the first
    /// window still open, or, after the last window closed, at its closing time with the difference as time warp.
    @inline(__always)
    func timeWarpedStart(of job: Int, ready: Double) -> (start: Double, warp: Double) {
        let latest = jobLastWindowLatest[job]
        if ready > latest { return (latest, ready - latest) }
        for window in windowOffset[job]..<windowOffset[job + 1] where ready <= windowLatest[window] {
            return (max(ready, windowEarliest[window]), 0)
        }
        return (latest, 0)
    }

    /// How far `jobs` on `route` are from feasible: the time warp of Nagata, Bräysy & Dullaert (2010), "A penalty-based
    /// edge assembly memetic algorithm for the vehicle routing problem with time windows", *Computers & Operations
    /// Research* 37(4):724-737, https://doi.org/10.1016/j.cor.2009.06.022 (a visit that would start after its last
    /// window closes starts at that closing time and the difference counts; so does a late return), plus the load
    /// above capacity. A route with a break counts as feasible (0) or not at all (infinity).
    /// - Parameter bound: once the time warp reaches this, the rest is not evaluated and a value at least `bound` is
    ///   returned (the warp only grows along the route).
    /// - Returns: 0 exactly when the route is feasible; infinity when a technician cannot do one of the jobs.
    /// - Complexity: O(n) for n jobs.
    func infeasibility(of jobs: [Int], route: Int, bound: Double = .infinity) -> Double {
        if routeHasBreak[route] { return buildRoute(route, jobs: jobs) == nil ? .infinity : 0 }
        var time = routeShiftStart[route], node = routeStartNode[route], warp = 0.0, load = 0.0
        for job in jobs {
            let pair = pair(job: job, route: route)
            guard pair >= 0 else { return .infinity }
            let (start, lateness) = timeWarpedStart(of: job, ready: max(time + travel.time(node, jobNode[job]), pairRelease[pair]))
            warp += lateness
            if warp >= bound { return warp }
            time = start + pairService[pair]
            node = jobNode[job]
            load += jobDemand[job]
        }
        let back = time + travel.time(node, routeEndNode[route])
        return warp + max(0, back - routeShiftEnd[route]) + max(0, load - routeCapacity[route])
    }
}

/// The routes a squeeze has changed so far, with their infeasibility; other routes are as in the solution. Indexed
/// by route and job rather than hashed: the moves of a squeeze look them up for every visit and neighbour.
private struct SqueezeState {
    /// Visits of each changed route; `nil` for a route as in the solution.
    private(set) var jobs: [[Int]?]
    /// Infeasibility of each changed route; 0 for the others, which are feasible in the solution.
    private(set) var infeasibility: [Double]
    /// The changed routes, in the order they first changed.
    private(set) var changed: [Int] = []
    /// Route of every job: the solution's, with the squeeze's moves applied.
    var routeOfJob: [Int]

    init(routeCount: Int, routeOfJob: [Int]) {
        jobs = [[Int]?](repeating: nil, count: routeCount)
        infeasibility = [Double](repeating: 0, count: routeCount)
        self.routeOfJob = routeOfJob
    }

    /// Records the new visits of `route` and their infeasibility.
    mutating func change(_ route: Int, to visits: [Int], infeasibility routeInfeasibility: Double) {
        if jobs[route] == nil { changed.append(route) }
        jobs[route] = visits
        infeasibility[route] = routeInfeasibility
    }
}

/// A move of the squeeze: `job` at `index` of the infeasible route goes to `position` of `target` (`position` counts
/// without the job when `target` is its own route), or swaps with the job there when `swap` is set.
private struct SqueezeMove {
    var delta: Double
    var index: Int
    var target: Int
    var position: Int
    var swap: Bool
}

extension SearchSolution {
    /// Squeeze (Nagata, Y. & Bräysy, O. (2009), "A powerful route minimization heuristic for the vehicle routing
    /// problem with time windows", *Operations Research Letters* 37(5):333-338,
    /// https://doi.org/10.1016/j.orl.2009.04.006, §2.2): inserts `job` where the infeasibility
    /// (`CompiledProblem.infeasibility`) is least, then repeatedly applies the relocation or exchange of a visit of
    /// a random infeasible route (with the routes of its nearest neighbours) that lowers the total infeasibility
    /// most, until every route is feasible or no move helps.
    /// - Parameters:
    ///   - allowEmptyRoutes: whether an empty route may take `job`.
    ///   - maximumSteps: largest number of moves tried.
    /// - Returns: `true` when `job` was inserted (every changed route rescheduled); `false` and no change otherwise.
    /// - Complexity: O(steps × n × (neighbour routes × n) × n) for routes of n visits.
    mutating func insertBySqueeze(_ job: Int, context: SearchContext, allowEmptyRoutes: Bool, maximumSteps: Int, rng: inout SplitMix64) -> Bool {
        let compiled = context.compiled
        var sequence: [Int] = []
        var first: (route: Int, position: Int, infeasibility: Double)?
        for route in compiled.eligibleRoutes[job] where allowEmptyRoutes || !routes[route].jobs.isEmpty {
            let state = routes[route]
            if let segments = RouteSegments(jobs: state.jobs, route: route, compiled: compiled), let visit = segments.visit(job, compiled: compiled) {
                for position in state.lockedPrefix...state.jobs.count {
                    let infeasibility = segments.inserting(visit, at: position, compiled: compiled)
                    if infeasibility < (first?.infeasibility ?? .infinity) { first = (route, position, infeasibility) }
                }
                continue
            }
            for position in state.lockedPrefix...state.jobs.count {
                sequence.removeAll(keepingCapacity: true)
                sequence.append(contentsOf: state.jobs)
                sequence.insert(job, at: position)
                let infeasibility = compiled.infeasibility(of: sequence, route: route, bound: first?.infeasibility ?? .infinity)
                if infeasibility < (first?.infeasibility ?? .infinity) { first = (route, position, infeasibility) }
            }
        }
        guard let first else { return false }
        sequence = routes[first.route].jobs
        sequence.insert(job, at: first.position)
        var squeeze = SqueezeState(routeCount: routes.count, routeOfJob: routeOfJob)
        squeeze.change(first.route, to: sequence, infeasibility: first.infeasibility)
        squeeze.routeOfJob[job] = first.route
        var squeezed = self
        squeezed.cost -= compiled.jobPenalty[job]
        squeezed.unassigned.removeAll { $0 == job }
        guard squeezed.squeezeUntilFeasible(&squeeze, context: context, maximumSteps: maximumSteps, rng: &rng) else { return false }
        self = squeezed
        return true
    }

    /// The plan of `relaxed` (`TimeWarpSearch`) made feasible with the same jobs served, by the moves of the
    /// squeeze: this is the repair of infeasible offspring in the hybrid genetic search of Vidal, Crainic, Gendreau &
    /// Prins (2013, https://doi.org/10.1016/j.cor.2012.07.018), which searches again with a larger penalty on the
    /// violation, done here by the steepest relocations and exchanges of Nagata & Bräysy (2009, §2.2) that lower
    /// the total time warp and capacity excess.
    /// - Returns: the feasible plan, or `nil` when no improving move is left, `maximumSteps` moves did not suffice,
    ///   or a route has a break and is infeasible (its violation is infinite).
    /// - Complexity: O(steps × n × (neighbour routes × n) × n) for routes of n visits.
    static func repairing(_ relaxed: RelaxedSolution, context: SearchContext, maximumSteps: Int, rng: inout SplitMix64) -> SearchSolution? {
        let compiled = context.compiled
        var repaired = SearchSolution(compiled: compiled)
        repaired.unassigned = relaxed.unassigned
        repaired.cost = relaxed.unassigned.reduce(0) { $0 + compiled.jobPenalty[$1] }
        var squeeze = SqueezeState(routeCount: relaxed.routes.count, routeOfJob: [])
        for (route, state) in relaxed.routes.enumerated() where !state.jobs.isEmpty {
            guard state.violation.isFinite else { return nil }
            if state.violation == 0, let built = compiled.buildRoute(route, jobs: state.jobs, lockedPrefix: state.lockedPrefix) {
                repaired.replaceRoute(route, with: built)
                continue
            }
            repaired.routes[route].lockedPrefix = state.lockedPrefix
            squeeze.change(route, to: state.jobs, infeasibility: compiled.infeasibility(of: state.jobs, route: route))
            for job in state.jobs { repaired.routeOfJob[job] = route }
        }
        squeeze.routeOfJob = repaired.routeOfJob
        guard repaired.squeezeUntilFeasible(&squeeze, context: context, maximumSteps: maximumSteps, rng: &rng) else { return nil }
        return repaired
    }

    /// Applies the best squeeze move of a random infeasible route of `squeeze` until every route is feasible, then
    /// reschedules the changed routes into `self` (which must already count the served jobs as served).
    /// - Returns: `false` when a route is still infeasible after `maximumSteps` moves or no move lowers its
    ///   infeasibility; `self` may then be partly changed.
    private mutating func squeezeUntilFeasible(_ squeeze: inout SqueezeState, context: SearchContext, maximumSteps: Int, rng: inout SplitMix64) -> Bool {
        var step = 0
        while let route = squeeze.changed.filter({ squeeze.infeasibility[$0] > 0 }).sorted().randomElement(using: &rng) {
            step += 1
            guard step <= maximumSteps, let move = bestSqueezeMove(from: route, squeeze: squeeze, context: context) else { return false }
            apply(move, from: route, to: &squeeze, compiled: context.compiled)
        }
        for route in squeeze.changed.sorted() {
            guard let jobs = squeeze.jobs[route], let state = context.compiled.buildRoute(route, jobs: jobs, lockedPrefix: routes[route].lockedPrefix) else { return false }
            replaceRoute(route, with: state)
        }
        return true
    }

    /// The relocation or exchange of a movable visit of `route` that lowers the total infeasibility most. Routes
    /// whose visits all have time-warp segments (`RouteSegments`) price each move in O(1); others visit by visit.
    /// - Returns: the move, or `nil` when none lowers it.
    /// - Complexity: O(n × neighbour routes × n) for routes of n visits with segments, O(n) times more otherwise.
    private func bestSqueezeMove(from route: Int, squeeze: SqueezeState, context: SearchContext) -> SqueezeMove? {
        let compiled = context.compiled
        let jobsOf = { (route: Int) in squeeze.jobs[route] ?? routes[route].jobs }
        let infeasibilityOf = { (route: Int) in squeeze.infeasibility[route] }
        let own = jobsOf(route)
        let ownInfeasibility = infeasibilityOf(route)
        let ownSegments = RouteSegments(jobs: own, route: route, compiled: compiled)
        // Segments of the target routes met so far (a few: the routes of the visits' nearest neighbours).
        var segmentsOf: [(route: Int, segments: RouteSegments?)] = []
        var best: SqueezeMove?
        let record = { (best: inout SqueezeMove?, move: SqueezeMove) in
            if move.delta < (best?.delta ?? -1e-9) { best = move }
        }
        // Scratch buffers, refilled in place so that pricing a move visit by visit allocates nothing.
        var sequence: [Int] = [], without: [Int] = [], targets: [Int] = []
        /// `infeasibility(of:route:bound:)` of `base` changed by `edit`, built in `buffer`.
        func pricedEdit(of base: [Int], route: Int, bound: Double, buffer: inout [Int], _ edit: (inout [Int]) -> Void) -> Double {
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: base)
            edit(&buffer)
            return compiled.infeasibility(of: buffer, route: route, bound: bound)
        }
        for (index, job) in own.enumerated() where index >= routes[route].lockedPrefix && !context.isFixed[job] {
            let withoutInfeasibility: Double
            if let ownSegments {
                withoutInfeasibility = ownSegments.removing(index, compiled: compiled)
                ownSegments.moving(index, from: routes[route].lockedPrefix, compiled: compiled) { position, infeasibility in
                    record(&best, SqueezeMove(delta: infeasibility - ownInfeasibility, index: index, target: route, position: position, swap: false))
                }
            } else {
                without.removeAll(keepingCapacity: true)
                without.append(contentsOf: own)
                without.remove(at: index)
                withoutInfeasibility = compiled.infeasibility(of: without, route: route)
                for position in routes[route].lockedPrefix...without.count where position != index {
                    let limit = (best?.delta ?? -1e-9) + ownInfeasibility
                    let delta = pricedEdit(of: without, route: route, bound: limit, buffer: &sequence) { $0.insert(job, at: position) } - ownInfeasibility
                    record(&best, SqueezeMove(delta: delta, index: index, target: route, position: position, swap: false))
                }
            }
            targets.removeAll(keepingCapacity: true)
            for neighbour in context.neighbours[job] {
                let target = squeeze.routeOfJob[neighbour]
                if target >= 0 && target != route && compiled.pair(job: job, route: target) >= 0 && !targets.contains(target) { targets.append(target) }
            }
            for target in targets {
                let other = jobsOf(target)
                let otherInfeasibility = infeasibilityOf(target)
                let locked = routes[target].lockedPrefix
                let targetSegments: RouteSegments?
                if let cached = segmentsOf.firstIndex(where: { $0.route == target }) {
                    targetSegments = segmentsOf[cached].segments
                } else {
                    targetSegments = RouteSegments(jobs: other, route: target, compiled: compiled)
                    segmentsOf.append((target, targetSegments))
                }
                let visitThere = targetSegments?.visit(job, compiled: compiled)
                for position in locked...other.count {
                    let targetInfeasibility: Double
                    if let targetSegments, let visitThere {
                        targetInfeasibility = targetSegments.inserting(visitThere, at: position, compiled: compiled)
                    } else {
                        let limit = (best?.delta ?? -1e-9) + ownInfeasibility + otherInfeasibility - withoutInfeasibility
                        targetInfeasibility = pricedEdit(of: other, route: target, bound: limit, buffer: &sequence) { $0.insert(job, at: position) }
                    }
                    let delta = withoutInfeasibility + targetInfeasibility - ownInfeasibility - otherInfeasibility
                    record(&best, SqueezeMove(delta: delta, index: index, target: target, position: position, swap: false))
                }
                for position in locked..<other.count where !context.isFixed[other[position]] && compiled.pair(job: other[position], route: route) >= 0 {
                    let limit = (best?.delta ?? -1e-9) + ownInfeasibility + otherInfeasibility
                    let ownPart: Double
                    if let ownSegments, let visitHere = ownSegments.visit(other[position], compiled: compiled) {
                        ownPart = ownSegments.replacing(index, with: visitHere, compiled: compiled)
                    } else {
                        ownPart = pricedEdit(of: own, route: route, bound: limit, buffer: &sequence) { $0[index] = other[position] }
                    }
                    if ownPart >= limit { continue }
                    let targetPart: Double
                    if let targetSegments, let visitThere {
                        targetPart = targetSegments.replacing(position, with: visitThere, compiled: compiled)
                    } else {
                        targetPart = pricedEdit(of: other, route: target, bound: limit - ownPart, buffer: &sequence) { $0[position] = job }
                    }
                    let delta = ownPart + targetPart - ownInfeasibility - otherInfeasibility
                    record(&best, SqueezeMove(delta: delta, index: index, target: target, position: position, swap: true))
                }
            }
        }
        return best
    }

    /// Records `move` of a visit of `route` in `squeeze`, with the new infeasibility of the routes it changes.
    /// - Complexity: O(n) for routes of n visits.
    private func apply(_ move: SqueezeMove, from route: Int, to squeeze: inout SqueezeState, compiled: CompiledProblem) {
        var own = squeeze.jobs[route] ?? routes[route].jobs
        let job = own[move.index]
        if move.target == route {
            own.remove(at: move.index)
            own.insert(job, at: move.position)
        } else {
            var other = squeeze.jobs[move.target] ?? routes[move.target].jobs
            if move.swap {
                own[move.index] = other[move.position]
                other[move.position] = job
                squeeze.routeOfJob[own[move.index]] = route
            } else {
                own.remove(at: move.index)
                other.insert(job, at: move.position)
            }
            squeeze.change(move.target, to: other, infeasibility: compiled.infeasibility(of: other, route: move.target))
            squeeze.routeOfJob[job] = move.target
        }
        squeeze.change(route, to: own, infeasibility: compiled.infeasibility(of: own, route: route))
    }
}
