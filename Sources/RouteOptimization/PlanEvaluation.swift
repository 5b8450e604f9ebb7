extension RouteOptimizer {
    /// Schedules a plan exactly as the search does (every visit as early as possible, the break by its
    /// `BreakRule`) and prices it.
    /// - Parameter plan: routes and unassigned jobs.
    /// - Returns: the cost breakdown and the time of every visit.
    /// - Throws: `PlanViolation` for the first job, route or constraint at fault.
    /// - Complexity: O(jobs + routes).
    public func evaluate(_ plan: Plan) throws(PlanViolation) -> (cost: PlanCost, visits: [ScheduledVisit]) {
        let compiled = self.compiled
        var seen = [Bool](repeating: false, count: compiled.jobCount)
        var routeSeen = [Bool](repeating: false, count: compiled.routeCount)
        var visits: [ScheduledVisit] = []
        var downtime = 0.0, lateness = 0.0, minutes = 0.0, distance = 0.0, penalty = 0.0
        var routesUsed = 0, assigned = 0
        for route in plan.routes {
            guard route.technician >= 0, route.technician < compiled.technicianCount,
                  route.shift >= 0, route.shift < compiled.routeIndexOfShift[route.technician].count
            else { throw .unknownRoute(technician: route.technician, shift: route.shift) }
            let routeIndex = compiled.routeIndexOfShift[route.technician][route.shift]
            guard !routeSeen[routeIndex] else { throw .unknownRoute(technician: route.technician, shift: route.shift) }
            routeSeen[routeIndex] = true
            guard !route.jobs.isEmpty else { continue }
            routesUsed += 1
            var cursor = compiled.startCursor(route: routeIndex)
            var load = 0.0
            for job in route.jobs {
                guard job >= 0, job < compiled.jobCount, !seen[job] else { throw .jobCoverage(job: job) }
                seen[job] = true
                assigned += 1
                let pair = compiled.pair(job: job, route: routeIndex)
                guard pair >= 0 else { throw .notQualified(job: job, technician: route.technician) }
                let from = cursor.node
                minutes += compiled.travel.time(from, compiled.jobNode[job])
                distance += compiled.travel.distance(from, compiled.jobNode[job])
                guard let completion = compiled.serve(job, pair: pair, route: routeIndex, cursor: &cursor) else {
                    throw .routeInfeasible(technician: route.technician, shift: route.shift)
                }
                visits.append(ScheduledVisit(job: job, start: completion - compiled.pairService[pair], completion: completion))
                downtime += compiled.problem.jobs[job].downtimeWeight * completion
                lateness += max(0, completion - compiled.jobDue[job]) * compiled.jobLatenessCost[job]
                load += compiled.jobDemand[job]
            }
            guard load <= compiled.routeCapacity[routeIndex], compiled.returnTime(route: routeIndex, cursor: cursor) != nil else {
                throw .routeInfeasible(technician: route.technician, shift: route.shift)
            }
            minutes += compiled.travel.time(cursor.node, compiled.routeEndNode[routeIndex])
            distance += compiled.travel.distance(cursor.node, compiled.routeEndNode[routeIndex])
        }
        for job in plan.unassigned {
            guard job >= 0, job < compiled.jobCount, !seen[job] else { throw .jobCoverage(job: job) }
            seen[job] = true
            penalty += compiled.jobPenalty[job]
        }
        if let missing = seen.firstIndex(of: false) { throw .jobCoverage(job: missing) }
        let weights = compiled.problem.objective
        let total = weights.downtimeFactor * downtime + lateness + weights.travelCostPerMinute * minutes
            + weights.travelCostPerDistance * distance + weights.fixedCostPerRoute * Double(routesUsed) + penalty
        let cost = PlanCost(total: total, downtime: downtime, lateness: lateness, travelMinutes: minutes, travelDistance: distance,
                            routesUsed: routesUsed, unassignedPenalty: penalty, assigned: assigned, unassigned: plan.unassigned.count)
        return (cost, visits)
    }
}
