@testable import RouteOptimization
import Testing

@Suite("Repair of time-warp plans")
struct TimeWarpRepairTests {
    /// For each job the cheapest-insertion plan of an over-subscribed day leaves out, that plan with the job forced in
    /// where the time warp is least (only the plans this makes infeasible).
    static func overFullPlans(seed: UInt64) -> (problem: RoutingProblem, context: SearchContext, plans: [RelaxedSolution]) {
        let (problem, context, start) = TimeWarpSearchTests.overSubscribedStart(seed: seed)
        let compiled = context.compiled
        let feasible = RelaxedSolution(start, compiled: compiled)
        let plans = start.unassigned.compactMap { job -> RelaxedSolution? in
            var forced: (route: Int, state: RelaxedRoute)?
            for route in 0..<compiled.routeCount {
                let jobs = feasible.routes[route].jobs
                for position in 0...jobs.count {
                    var inserted = jobs
                    inserted.insert(job, at: position)
                    let state = compiled.relaxedRoute(route, jobs: inserted, lockedPrefix: 0)
                    if state.violation < (forced?.state.violation ?? .infinity) { forced = (route, state) }
                }
            }
            guard let forced, forced.state.violation > 0 else { return nil }
            var plan = feasible
            plan.replaceRoute(forced.route, with: forced.state)
            plan.cost -= compiled.jobPenalty[job]
            plan.unassigned.removeAll { $0 == job }
            return plan
        }
        return (problem, context, plans)
    }

    @Test("a repaired plan serves the same jobs, each once, and passes the independent checker at its cost")
    func repairedPlansAreFeasible() throws {
        var repairedCount = 0, failedCount = 0
        for seed: UInt64 in 1...6 {
            let (problem, context, plans) = Self.overFullPlans(seed: seed)
            let compiled = context.compiled
            var rng = SplitMix64(seed: seed)
            for relaxed in plans {
                guard let repaired = SearchSolution.repairing(relaxed, context: context, maximumSteps: 20, rng: &rng) else {
                    failedCount += 1
                    continue
                }
                repairedCount += 1
                let plan = repaired.plan(compiled: compiled)
                #expect(plan.unassigned == relaxed.unassigned.sorted())
                let served = plan.routes.flatMap(\.jobs)
                #expect(Set(served).count == served.count)
                #expect(Set(served) == Set((0..<compiled.jobCount).filter { relaxed.routeOfJob[$0] >= 0 }))
                let checked = IndependentPlanChecker(problem: problem).check(plan)
                #expect(checked.feasible, "seed \(seed): \(checked.violations)")
                let evaluation = try RouteOptimizer(problem: problem).evaluate(plan)
                #expect(abs(evaluation.cost.total - repaired.cost) <= 1e-6 * repaired.cost)
            }
        }
        // Both outcomes occur: some forced insertions can be repaired, some cannot (the day is over-subscribed).
        #expect(repairedCount > 0)
        #expect(failedCount > 0)
    }
}
