import RouteOptimization
import Testing

@Suite("Optimality on tiny instances")
struct BruteForceTests {
    /// Smallest objective over every assignment of the jobs to the routes (or to nobody) and every order,
    /// priced by the independent checker.
    static func bruteForceOptimum(_ problem: RoutingProblem) -> Double {
        let checker = IndependentPlanChecker(problem: problem)
        let slots = problem.technicians.enumerated().flatMap { technician, value in value.shifts.indices.map { (technician, $0) } }
        var best = Double.infinity
        func permutations(_ items: [Int]) -> [[Int]] {
            guard items.count > 1 else { return [items] }
            return items.indices.flatMap { index -> [[Int]] in
                var rest = items
                let head = rest.remove(at: index)
                return permutations(rest).map { [head] + $0 }
            }
        }
        func explore(job: Int, buckets: [[Int]], unassigned: [Int]) {
            if job == problem.jobs.count {
                func orders(_ slot: Int, _ routes: [PlannedRoute]) {
                    if slot == slots.count {
                        let outcome = checker.check(Plan(routes: routes, unassigned: unassigned))
                        if outcome.feasible { best = min(best, outcome.objective) }
                        return
                    }
                    for order in permutations(buckets[slot]) {
                        orders(slot + 1, routes + [PlannedRoute(technician: slots[slot].0, shift: slots[slot].1, jobs: order)])
                    }
                }
                orders(0, [])
                return
            }
            for slot in slots.indices {
                var next = buckets
                next[slot].append(job)
                explore(job: job + 1, buckets: next, unassigned: unassigned)
            }
            explore(job: job + 1, buckets: buckets, unassigned: unassigned + [job])
        }
        explore(job: 0, buckets: Array(repeating: [], count: slots.count), unassigned: [])
        return best
    }

    /// Simple schedules (one window, no break, no due time) take the insertion evaluator's shortcut
    /// (`RouteState.shiftedCost`) instead of simulating forward.
    @Test("the solver finds the brute-force optimum", arguments: 1...6, [false, true])
    func findsOptimum(seed: UInt64, simpleSchedules: Bool) async throws {
        var problem = RandomProblems.everyFeature(seed: seed, jobs: 5, technicians: 2)
        problem.pinnedVisits = []
        for index in problem.technicians.indices { problem.technicians[index].shifts = [problem.technicians[index].shifts[0]] }
        if simpleSchedules {
            for index in problem.technicians.indices { problem.technicians[index].shifts[0].breakRule = nil }
            for index in problem.jobs.indices {
                problem.jobs[index].timeWindows = [problem.jobs[index].timeWindows[0]]
                problem.jobs[index].dueTime = nil
            }
        }
        let optimum = Self.bruteForceOptimum(problem)
        let optimizer = try RouteOptimizer(problem: problem)
        let result = try await optimizer.optimize(OptimizerOptions(seed: seed, limits: RandomProblems.iterationLimit(2_000)))
        let checked = IndependentPlanChecker(problem: problem).check(result.plan)
        #expect(checked.feasible, "seed \(seed): \(checked.violations)")
        #expect(abs(checked.objective - optimum) <= 1e-6 * max(1, optimum), "seed \(seed): solver \(checked.objective), optimum \(optimum)")
    }
}
