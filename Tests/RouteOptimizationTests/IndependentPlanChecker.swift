import RouteOptimization

/// Recomputes the schedule of a plan from the routes and checks every constraint, written from the model's
/// documentation only: it shares no code with the solver's evaluator (`RouteOptimizer.evaluate`).
struct IndependentPlanChecker {
    let problem: RoutingProblem

    struct Outcome {
        var violations: [String] = []
        var objective = 0.0
        var starts: [Int: Double] = [:]
        var feasible: Bool { violations.isEmpty }
    }

    func check(_ plan: Plan) -> Outcome {
        var outcome = Outcome()
        var seenJobs = Set<Int>()
        var seenShifts = Set<[Int]>()
        var downtime = 0.0, lateness = 0.0, minutes = 0.0, distance = 0.0, routesUsed = 0.0, penalties = 0.0
        for route in plan.routes {
            guard problem.technicians.indices.contains(route.technician),
                  problem.technicians[route.technician].shifts.indices.contains(route.shift),
                  seenShifts.insert([route.technician, route.shift]).inserted
            else {
                outcome.violations.append("bad route \(route.technician)/\(route.shift)")
                continue
            }
            if route.jobs.isEmpty { continue }
            routesUsed += 1
            let technician = problem.technicians[route.technician]
            let shift = technician.shifts[route.shift]
            var clock = shift.start
            var here = technician.startNode
            var breakOwed = shift.breakRule != nil
            var load = 0.0
            for jobIndex in route.jobs {
                guard problem.jobs.indices.contains(jobIndex), seenJobs.insert(jobIndex).inserted else {
                    outcome.violations.append("job \(jobIndex) repeated or unknown")
                    continue
                }
                let job = problem.jobs[jobIndex]
                for requirement in job.requiredSkills where (technician.skills[requirement.skill] ?? -1) < requirement.minimumLevel {
                    outcome.violations.append("job \(jobIndex): skill \(requirement.skill)")
                }
                let level = job.requiredSkills.first.flatMap { technician.skills[$0.skill] }
                let service = level.flatMap { job.serviceMinutesByLevel[$0] } ?? job.serviceMinutes
                let release = job.releaseTimeByTechnician[technician.id] ?? job.releaseTime
                let drive = problem.travel.time(here, job.node)
                func startAfter(_ arrival: Double) -> Double? {
                    var best: Double?
                    for window in job.timeWindows {
                        let candidate = Swift.max(arrival, release, window.earliest)
                        if candidate <= window.latest, candidate < (best ?? .infinity) { best = candidate }
                    }
                    return best
                }
                if breakOwed, let rule = shift.breakRule {
                    let breakStart = Swift.max(clock, rule.window.earliest)
                    let plain = startAfter(clock + drive)
                    if breakStart > rule.window.latest {
                        outcome.violations.append("break missed before job \(jobIndex)")
                        breakOwed = false
                    } else if let plain, plain + service > rule.window.latest || breakStart + rule.minutes + drive <= plain {
                        clock = breakStart + rule.minutes
                        breakOwed = false
                    }
                }
                minutes += drive
                distance += problem.travel.distance(here, job.node)
                guard let start = startAfter(clock + drive) else {
                    outcome.violations.append("job \(jobIndex): no window open at \(clock + drive)")
                    continue
                }
                outcome.starts[jobIndex] = start
                let completion = start + service
                downtime += job.downtimeWeight * completion
                if let due = job.dueTime, completion > due { lateness += (completion - due) * job.latenessCostPerMinute }
                load += job.demand
                clock = completion
                here = job.node
            }
            if breakOwed, let rule = shift.breakRule {
                let breakStart = Swift.max(clock, rule.window.earliest)
                if breakStart > rule.window.latest { outcome.violations.append("break missed at end of route") }
                clock = breakStart + rule.minutes
            }
            let home = problem.travel.time(here, technician.endNode)
            minutes += home
            distance += problem.travel.distance(here, technician.endNode)
            if clock + home > shift.end + 1e-9 { outcome.violations.append("tech \(route.technician) back late") }
            if let capacity = technician.capacity, load > capacity + 1e-9 { outcome.violations.append("tech \(route.technician) over capacity") }
        }
        for job in plan.unassigned {
            guard problem.jobs.indices.contains(job), seenJobs.insert(job).inserted else {
                outcome.violations.append("unassigned job \(job) repeated or unknown")
                continue
            }
            penalties += problem.jobs[job].unassignedPenalty
        }
        if seenJobs.count != problem.jobs.count { outcome.violations.append("not every job is covered") }
        let weights = problem.objective
        outcome.objective = weights.downtimeFactor * downtime + lateness + weights.travelCostPerMinute * minutes
            + weights.travelCostPerDistance * distance + weights.fixedCostPerRoute * routesUsed + penalties
        return outcome
    }
}
