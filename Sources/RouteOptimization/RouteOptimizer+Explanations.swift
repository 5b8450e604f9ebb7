/// Why a job is where the plan puts it, computed by the solver from the plan.
public struct JobExplanation: Hashable, Sendable {
    /// Job index.
    public var job: Int
    /// Assigned (with the cost comparison) or unassigned (with the reason).
    public var outcome: Outcome

    /// The two cases.
    public enum Outcome: Hashable, Sendable {
        /// The job is served.
        case assigned(AssignmentExplanation)
        /// The job is left out.
        case unassigned(UnassignedReason)
    }
}

/// The cost of serving a job with its technician against the best other technician.
public struct AssignmentExplanation: Hashable, Sendable {
    /// Technician serving the job.
    public var technician: Int
    /// Shift of that technician.
    public var shift: Int
    /// What the job adds to its route's cost (route cost with it minus without it).
    public var marginalCost: Double
    /// The cheapest other technician and what inserting the job into their current route would add; `nil` when
    /// no other technician can take it.
    public var bestAlternative: AlternativeTechnician?
    /// Why the chosen technician wins.
    public var reason: Reason

    struct Alternative: Hashable, Sendable {
        var technician: Int
        var shift: Int
        var marginalCost: Double
    }

    /// Why the chosen technician wins.
    public enum Reason: Hashable, Sendable {
        /// Cheapest feasible choice: the best alternative would cost this much more.
        case cheaper(by: Double)
        /// No other technician holds the skills (or capacity) the job needs.
        case noOtherQualifiedTechnician
        /// Other technicians qualify, but none can fit the job into their current route.
        case noRoomWithOtherTechnicians
        /// An alternative is cheaper, but the visit is pinned, frozen or kept by the disruption budget.
        case heldInPlace
    }
}

/// Why a job is left unassigned.
public enum UnassignedReason: Hashable, Sendable {
    /// No technician holds every required skill at the required level.
    case noTechnicianWithSkills
    /// Technicians with the skills exist, but the job's demand exceeds each one's capacity.
    case exceedsCapacity
    /// Even as the only visit of a shift, no qualified technician can start it inside a window and return in time.
    case windowUnreachable
    /// It could be served alone, but the qualified technicians' time goes to more valuable work: inserting it
    /// into the plan is infeasible (`nil`) or costs at least its unassigned penalty.
    case dominatedByMoreUrgentWork(cheapestInsertionCost: Double?)
}

/// Another technician who could serve a job.
public struct AlternativeTechnician: Hashable, Sendable {
    /// Technician index.
    public var technician: Int
    /// Shift index.
    public var shift: Int
    /// Cost the job would add to that shift's current route.
    public var marginalCost: Double
}

extension RouteOptimizer {
    /// Explains every job of a plan: for an assigned job, its marginal cost against the cheapest insertion into
    /// another technician's current route; for an unassigned job, the first reason that holds among missing skills,
    /// capacity, unreachable windows and more valuable work.
    /// - Parameter plan: a feasible plan of this problem.
    /// - Returns: one explanation per job, in job order.
    /// - Throws: `PlanViolation` when the plan is not feasible.
    /// - Complexity: O(jobs × routes × route length) insertion evaluations.
    public func explain(_ plan: Plan) throws(PlanViolation) -> [JobExplanation] {
        let total = try evaluate(plan).cost.total
        let compiled = self.compiled
        var routes = [RouteState](repeating: RouteState(), count: compiled.routeCount)
        for route in plan.routes {
            let index = compiled.routeIndexOfShift[route.technician][route.shift]
            guard let state = compiled.buildRoute(index, jobs: route.jobs) else { throw .routeInfeasible(technician: route.technician, shift: route.shift) }
            routes[index] = state
        }
        var explanations: [JobExplanation] = []
        explanations.reserveCapacity(compiled.jobCount)
        var routeOfJob = [Int](repeating: -1, count: compiled.jobCount)
        for (index, state) in routes.enumerated() { for job in state.jobs { routeOfJob[job] = index } }
        for job in 0..<compiled.jobCount {
            let route = routeOfJob[job]
            if route < 0 {
                explanations.append(JobExplanation(job: job, outcome: .unassigned(unassignedReason(job, routes: routes))))
                continue
            }
            let technician = compiled.routeTechnician[route]
            let state = routes[route]
            let without = state.jobs.filter { $0 != job }
            let marginal = compiled.buildRoute(route, jobs: without).map { state.cost - $0.cost } ?? .infinity
            var alternative: AlternativeTechnician?
            var otherQualified = false
            for other in compiled.eligibleRoutes[job] where compiled.routeTechnician[other] != technician {
                otherQualified = true
                guard let cost = cheapestInsertion(of: job, into: routes[other], route: other), cost < (alternative?.marginalCost ?? .infinity) else { continue }
                alternative = AlternativeTechnician(technician: compiled.routeTechnician[other], shift: compiled.routeShift[other], marginalCost: cost)
            }
            let reason: AssignmentExplanation.Reason
            if let alternative {
                let saving = alternative.marginalCost - marginal
                reason = saving >= -1e-9 * max(1, abs(total)) ? .cheaper(by: max(0, saving)) : .heldInPlace
            } else {
                reason = otherQualified ? .noRoomWithOtherTechnicians : .noOtherQualifiedTechnician
            }
            let explanation = AssignmentExplanation(technician: technician, shift: compiled.routeShift[route], marginalCost: marginal, bestAlternative: alternative, reason: reason)
            explanations.append(JobExplanation(job: job, outcome: .assigned(explanation)))
        }
        return explanations
    }

    private func cheapestInsertion(of job: Int, into state: RouteState, route: Int) -> Double? {
        let compiled = self.compiled
        let pair = compiled.pair(job: job, route: route)
        guard pair >= 0, state.load + compiled.jobDemand[job] <= compiled.routeCapacity[route] else { return nil }
        var best = Double.infinity
        for position in 0...state.jobs.count {
            best = min(best, compiled.insertionCost(of: job, pair: pair, into: state, route: route, at: position, bound: .infinity))
        }
        return best.isFinite ? best : nil
    }

    private func unassignedReason(_ job: Int, routes: [RouteState]) -> UnassignedReason {
        let compiled = self.compiled
        let problem = compiled.problem
        let requirements = problem.jobs[job].requiredSkills
        let skilled = problem.technicians.filter { technician in
            requirements.allSatisfy { (technician.skills[$0.skill] ?? Int.min) >= $0.minimumLevel }
        }
        if skilled.isEmpty { return .noTechnicianWithSkills }
        if compiled.eligibleRoutes[job].isEmpty { return .exceedsCapacity }
        if !compiled.eligibleRoutes[job].contains(where: { compiled.buildRoute($0, jobs: [job]) != nil }) { return .windowUnreachable }
        let cheapest = compiled.eligibleRoutes[job].compactMap { cheapestInsertion(of: job, into: routes[$0], route: $0) }.min()
        return .dominatedByMoreUrgentWork(cheapestInsertionCost: cheapest)
    }
}
