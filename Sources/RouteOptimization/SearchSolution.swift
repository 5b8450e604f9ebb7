/// Immutable data shared by every iteration of a search.
struct SearchContext: Sendable {
    private(set) var compiled: CompiledProblem
    /// Nearest other jobs of each job by travel time, closest first (the adjacency of string removals).
    let neighbours: [[Int]]
    /// Pinned or frozen jobs: never removed from their route.
    let isFixed: [Bool]
    /// Technician of each job in the plan being re-optimised, or -1.
    let originalTechnician: [Int]
    /// Largest number of originally planned jobs allowed to change technician (or become unassigned).
    let disruptionBudget: Int

    static let neighbourCount = 64

    /// - Complexity: O(n²) expected time for n jobs (bounded insertion into a sorted list of k = `neighbourCount`), O(n k) memory.
    init(compiled: CompiledProblem, isFixed: [Bool], originalTechnician: [Int], disruptionBudget: Int) {
        self.compiled = compiled
        self.isFixed = isFixed
        self.originalTechnician = originalTechnician
        self.disruptionBudget = disruptionBudget
        let count = compiled.jobCount
        let keep = min(SearchContext.neighbourCount, max(0, count - 1))
        var lists = [[Int]](repeating: [], count: count)
        var nearest: [(time: Double, job: Int)] = []
        nearest.reserveCapacity(keep + 1)
        for job in 0..<count where keep > 0 {
            nearest.removeAll(keepingCapacity: true)
            let node = compiled.jobNode[job]
            for other in 0..<count where other != job {
                let time = compiled.travel.time(node, compiled.jobNode[other])
                if nearest.count == keep, let last = nearest.last, last.time <= time { continue }
                var slot = nearest.count
                while slot > 0 && nearest[slot - 1].time > time { slot -= 1 }
                nearest.insert((time, other), at: slot)
                if nearest.count > keep { nearest.removeLast() }
            }
            lists[job] = nearest.map(\.job)
        }
        neighbours = lists
    }

    var tracksDisruption: Bool { disruptionBudget < Int.max }

    /// The same context with the problem priced differently (same jobs, routes and feasibility).
    func repriced(_ compiled: CompiledProblem) -> SearchContext {
        var copy = self
        copy.compiled = compiled
        return copy
    }
}

/// A complete assignment during the search: one `RouteState` per technician shift, the route of every job, the
/// unassigned jobs and the total cost.
struct SearchSolution: Sendable {
    var routes: [RouteState]
    var routeOfJob: [Int]
    var unassigned: [Int]
    var cost: Double

    init(compiled: CompiledProblem) {
        routes = [RouteState](repeating: RouteState(), count: compiled.routeCount)
        routeOfJob = [Int](repeating: -1, count: compiled.jobCount)
        unassigned = Array(0..<compiled.jobCount)
        cost = compiled.jobPenalty.reduce(0, +)
    }

    /// Replaces a route by a rescheduled one and updates the cost and job membership (penalties of jobs leaving
    /// or entering the route are the caller's business).
    mutating func replaceRoute(_ route: Int, with state: RouteState) {
        cost += state.cost - routes[route].cost
        routes[route] = state
        for job in state.jobs { routeOfJob[job] = route }
    }

    /// The same assignment priced with another objective over the same problem.
    func repriced(_ compiled: CompiledProblem) -> SearchSolution {
        var copy = self
        copy.cost = unassigned.reduce(0) { $0 + compiled.jobPenalty[$1] }
        for (route, state) in routes.enumerated() where !state.jobs.isEmpty {
            guard let rebuilt = compiled.buildRoute(route, jobs: state.jobs, lockedPrefix: state.lockedPrefix) else { continue }
            copy.routes[route] = rebuilt
            copy.cost += rebuilt.cost
        }
        return copy
    }

    /// Unassigns every job that is neither pinned nor frozen.
    mutating func clearMovableJobs(context: SearchContext) {
        let compiled = context.compiled
        for (route, state) in routes.enumerated() where !state.jobs.isEmpty {
            let kept = state.jobs.filter { context.isFixed[$0] }
            guard kept.count < state.jobs.count, let rebuilt = compiled.buildRoute(route, jobs: kept, lockedPrefix: state.lockedPrefix) else { continue }
            for job in state.jobs where !context.isFixed[job] {
                routeOfJob[job] = -1
                cost += compiled.jobPenalty[job]
                unassigned.append(job)
            }
            replaceRoute(route, with: rebuilt)
        }
    }

    /// Number of originally planned jobs that are now with another technician or unassigned.
    func disruption(context: SearchContext) -> Int {
        var moved = 0
        for (job, original) in context.originalTechnician.enumerated() where original >= 0 {
            let route = routeOfJob[job]
            if route < 0 || context.compiled.routeTechnician[route] != original { moved += 1 }
        }
        return moved
    }

    func plan(compiled: CompiledProblem) -> Plan {
        var planned: [PlannedRoute] = []
        for (route, state) in routes.enumerated() where !state.jobs.isEmpty {
            planned.append(PlannedRoute(technician: compiled.routeTechnician[route], shift: compiled.routeShift[route], jobs: state.jobs))
        }
        return Plan(routes: planned, unassigned: unassigned.sorted())
    }
}

/// Reusable buffers for candidate-route selection, so that the inner loop allocates nothing.
struct InsertionScratch {
    var routeStamp: [Int]
    /// Stamp of the last search that priced an empty route, by `CompiledProblem.emptyRouteTwin`.
    var emptyTwinStamp: [Int]
    var stamp = 0
    var candidates: [Int] = []

    init(routeCount: Int) {
        routeStamp = [Int](repeating: 0, count: routeCount)
        emptyTwinStamp = [Int](repeating: 0, count: routeCount)
    }
}

/// A chosen place for a job.
struct InsertionChoice {
    var route: Int
    var position: Int
    var delta: Double
}

extension SearchSolution {
    /// Cheapest feasible insertion of `job`, minimising the exact change of weighted completion, lateness and
    /// travel cost, over the routes the technician of which can do it. With many eligible routes only those holding
    /// one of the job's nearest neighbours, and empty ones, are tried (granular neighbourhood, Toth & Vigo 2003).
    /// Each position is skipped with probability `blinkRate` (the "blinks" of Christiaens & Vanden Berghe 2020).
    /// Of interchangeable empty routes (`CompiledProblem.emptyRouteTwin`, a homogeneous fleet) only the first is priced.
    /// - Parameters:
    ///   - onlyTechnician: when ≥ 0, only that technician's routes are tried (disruption budget reached).
    ///   - allowEmptyRoutes: `false` while minimising the number of routes.
    /// - Returns: the best insertion whose cost change is below the job's unassigned penalty, or `nil`.
    /// - Complexity: O(R × n) evaluations for R candidate routes of n visits; each is O(1) when rejected.
    func bestInsertion(of job: Int, context: SearchContext, scratch: inout InsertionScratch, rng: inout SplitMix64, blinkRate: Double, onlyTechnician: Int = -1, allowEmptyRoutes: Bool = true) -> InsertionChoice? {
        let compiled = context.compiled
        let eligible = compiled.eligibleRoutes[job]
        scratch.candidates.removeAll(keepingCapacity: true)
        scratch.stamp += 1
        if eligible.count <= 40 {
            scratch.candidates.append(contentsOf: eligible)
        } else {
            for neighbour in context.neighbours[job] {
                let route = routeOfJob[neighbour]
                if route >= 0, scratch.routeStamp[route] != scratch.stamp, compiled.pair(job: job, route: route) >= 0 {
                    scratch.routeStamp[route] = scratch.stamp
                    scratch.candidates.append(route)
                }
            }
            for route in eligible where routes[route].jobs.isEmpty && scratch.routeStamp[route] != scratch.stamp {
                scratch.routeStamp[route] = scratch.stamp
                scratch.candidates.append(route)
            }
        }
        let demand = compiled.jobDemand[job]
        var best: InsertionChoice?
        var bound = compiled.jobPenalty[job]
        for route in scratch.candidates {
            if onlyTechnician >= 0 && compiled.routeTechnician[route] != onlyTechnician { continue }
            let state = routes[route]
            if !allowEmptyRoutes && state.jobs.isEmpty { continue }
            if state.load + demand > compiled.routeCapacity[route] { continue }
            let twin = state.jobs.isEmpty && state.lockedPrefix == 0 ? compiled.emptyRouteTwin[route] : -1
            if twin >= 0 && scratch.emptyTwinStamp[twin] == scratch.stamp {
                // An interchangeable empty route was priced before: this one costs the same and loses the tie. The
                // blink draw keeps the random stream, and so the plan, as if it had been priced.
                if blinkRate > 0 { _ = rng.nextUnit() }
                continue
            }
            let pair = compiled.pair(job: job, route: route)
            for position in state.lockedPrefix...state.jobs.count {
                if blinkRate > 0 && rng.nextUnit() < blinkRate { continue }
                if twin >= 0 { scratch.emptyTwinStamp[twin] = scratch.stamp }
                let delta = compiled.insertionCost(of: job, pair: pair, into: state, route: route, at: position, bound: bound)
                if delta < bound {
                    bound = delta
                    best = InsertionChoice(route: route, position: position, delta: delta)
                }
            }
        }
        return best
    }

    /// Inserts `job` as chosen, rescheduling its route.
    /// - Returns: `false` (and nothing changes) when the rescheduled route turns out infeasible.
    mutating func insert(_ job: Int, at choice: InsertionChoice, compiled: CompiledProblem) -> Bool {
        var jobs = routes[choice.route].jobs
        jobs.insert(job, at: choice.position)
        guard let state = compiled.buildRoute(choice.route, jobs: jobs, lockedPrefix: routes[choice.route].lockedPrefix) else { return false }
        replaceRoute(choice.route, with: state)
        cost -= compiled.jobPenalty[job]
        return true
    }

    /// Inserts `jobs` one by one at their cheapest place, in the given order; jobs with no place stay unassigned.
    /// With a disruption budget, a job that was planned with a technician may move to another only while the budget
    /// allows.
    mutating func recreate(_ jobs: [Int], context: SearchContext, scratch: inout InsertionScratch, rng: inout SplitMix64, blinkRate: Double, allowEmptyRoutes: Bool = true) {
        let compiled = context.compiled
        var budgetLeft = Int.max
        if context.tracksDisruption {
            let pending = Set(jobs)
            budgetLeft = context.disruptionBudget
            for (job, original) in context.originalTechnician.enumerated() where original >= 0 && !pending.contains(job) {
                let route = routeOfJob[job]
                if route < 0 || compiled.routeTechnician[route] != original { budgetLeft -= 1 }
            }
        }
        for job in jobs {
            let original = context.tracksDisruption ? context.originalTechnician[job] : -1
            let restricted = original >= 0 && budgetLeft <= 0 ? original : -1
            guard let choice = bestInsertion(of: job, context: context, scratch: &scratch, rng: &rng, blinkRate: blinkRate, onlyTechnician: restricted, allowEmptyRoutes: allowEmptyRoutes),
                  insert(job, at: choice, compiled: compiled)
            else {
                if original >= 0 { budgetLeft -= 1 }
                continue
            }
            if original >= 0 && compiled.routeTechnician[choice.route] != original { budgetLeft -= 1 }
        }
        unassigned.removeAll { routeOfJob[$0] >= 0 }
    }
}
