import RouteOptimization
import Testing

@Suite("Re-optimisation and explanations")
struct ReoptimizationTests {
    @Test("frozen and pinned visits never move and the disruption budget holds", arguments: [(UInt64(3), 0), (4, 1), (5, 2), (6, 3)])
    func frozenVisitsStay(seed: UInt64, budget: Int) async throws {
        let base = RandomProblems.everyFeature(seed: seed, jobs: 16, technicians: 3)
        let optimizer = try RouteOptimizer(problem: base)
        let morning = try await optimizer.optimize(OptimizerOptions(seed: seed, limits: RandomProblems.iterationLimit(200)))
        // New urgent calls arrive: the same problem, with more weight on every unassigned-or-late job and a new
        // plan requested at 09:30 (90 min), freezing what starts in the next hour.
        var replan = base
        for index in replan.jobs.indices { replan.jobs[index].downtimeWeight *= Double(1 + index % 3) }
        let reoptimizer = try RouteOptimizer(problem: replan)
        let request = Reoptimization(currentPlan: morning.plan, now: 90, frozenMinutes: 60, disruptionBudget: budget)
        let result = try await reoptimizer.optimize(OptimizerOptions(seed: seed, limits: RandomProblems.iterationLimit(300), reoptimization: request))
        let checked = IndependentPlanChecker(problem: replan).check(result.plan)
        #expect(checked.feasible, "\(checked.violations)")
        let starts = try optimizer.evaluate(morning.plan).visits
        let startOf = Dictionary(uniqueKeysWithValues: starts.map { ($0.job, $0.start) })
        var moved = 0
        for route in morning.plan.routes {
            // A route may empty (and leave the plan) when none of its visits is frozen; its visits then count as moved.
            let now = result.plan.routes.first { $0.technician == route.technician && $0.shift == route.shift } ?? PlannedRoute(technician: route.technician, shift: route.shift, jobs: [])
            for (position, job) in route.jobs.enumerated() {
                if let start = startOf[job], start < 150 {
                    #expect(position < now.jobs.count && now.jobs[position] == job, "frozen job \(job) moved")
                }
                if !(result.plan.routes.contains { $0.technician == route.technician && $0.jobs.contains(job) }) { moved += 1 }
            }
        }
        #expect(moved <= budget, "\(moved) visits changed technician, budget \(budget)")
        for pin in replan.pinnedVisits {
            #expect(result.plan.routes.contains { $0.technician == pin.technician && $0.shift == pin.shift && $0.jobs.contains(pin.job) })
        }
    }

    @Test("explanations agree with the plan", arguments: 11...16)
    func explanationsAgree(seed: UInt64) async throws {
        let problem = RandomProblems.everyFeature(seed: seed, jobs: 14, technicians: 3)
        let optimizer = try RouteOptimizer(problem: problem)
        let result = try await optimizer.optimize(OptimizerOptions(seed: seed, limits: RandomProblems.iterationLimit(300)))
        let explanations = try optimizer.explain(result.plan)
        #expect(explanations.map(\.job) == Array(problem.jobs.indices))
        let checker = IndependentPlanChecker(problem: problem)
        let total = checker.check(result.plan).objective
        for explanation in explanations {
            switch explanation.outcome {
            case .assigned(let assigned):
                let route = try #require(result.plan.routes.first { $0.jobs.contains(explanation.job) })
                #expect(route.technician == assigned.technician && route.shift == assigned.shift)
                // The marginal cost is what removing the job saves, penalty aside.
                var without = result.plan
                let index = try #require(without.routes.firstIndex(of: route))
                without.routes[index].jobs.removeAll { $0 == explanation.job }
                without.unassigned.append(explanation.job)
                let reduced = checker.check(without)
                if reduced.feasible {
                    let expected = total - (reduced.objective - problem.jobs[explanation.job].unassignedPenalty)
                    #expect(abs(expected - assigned.marginalCost) <= 1e-6 * max(1, abs(total)), "job \(explanation.job)")
                }
                switch assigned.reason {
                case .cheaper(let saving):
                    let alternative = try #require(assigned.bestAlternative)
                    #expect(alternative.technician != assigned.technician)
                    #expect(saving >= 0 && abs(alternative.marginalCost - assigned.marginalCost - saving) <= 1e-6 * max(1, abs(total)))
                case .noOtherQualifiedTechnician, .noRoomWithOtherTechnicians:
                    #expect(assigned.bestAlternative == nil)
                case .heldInPlace:
                    #expect(problem.pinnedVisits.contains { $0.job == explanation.job })
                }
            case .unassigned:
                #expect(result.plan.unassigned.contains(explanation.job))
            }
        }
    }

    @Test("unassigned reasons name skills, capacity, windows and more urgent work")
    func unassignedReasons() throws {
        var problem = TinyProblems.twoTechnicians()
        problem.jobs[0].requiredSkills = [SkillRequirement(skill: "plumbing")]
        problem.jobs[1].demand = 50
        for index in problem.technicians.indices { problem.technicians[index].capacity = 20 }
        problem.jobs[2].timeWindows = [TimeWindow(earliest: 0, latest: 5)]
        let optimizer = try RouteOptimizer(problem: problem)
        // T0 is busy with J3 all morning; nothing else fits since J3's window is the only reachable work.
        let plan = Plan(routes: [PlannedRoute(technician: 0, jobs: [3])], unassigned: [0, 1, 2])
        let reasons = try optimizer.explain(plan)
        #expect(reasons[0].outcome == .unassigned(.noTechnicianWithSkills))
        #expect(reasons[1].outcome == .unassigned(.exceedsCapacity))
        #expect(reasons[2].outcome == .unassigned(.windowUnreachable))
        guard case .assigned(let assigned) = reasons[3].outcome else {
            Issue.record("J3 should be assigned")
            return
        }
        #expect(assigned.technician == 0)
        #expect(assigned.reason == .cheaper(by: 0))
        #expect(assigned.bestAlternative?.technician == 1)
    }
}
