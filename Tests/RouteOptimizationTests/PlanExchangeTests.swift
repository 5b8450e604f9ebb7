@testable import RouteOptimization
import Testing

@Suite("Parallel searches exchanging plans")
struct PlanExchangeTests {
    /// `start` with its first `count` routed jobs left out.
    static func plan(_ start: SearchSolution, leavingOut count: Int, context: SearchContext) -> SearchSolution {
        var plan = start
        for job in plan.routes.flatMap(\.jobs).prefix(count) {
            let route = plan.routeOfJob[job]
            let kept = plan.routes[route].jobs.filter { $0 != job }
            plan.replaceRoute(route, with: context.compiled.buildRoute(route, jobs: kept)!)
            plan.routeOfJob[job] = -1
            plan.unassigned.append(job)
            plan.cost += context.compiled.jobPenalty[job]
        }
        return plan
    }

    @Test("a search waiting at the meeting point gets the best plan offered, once every search has offered or gone")
    func waitersGetTheBestPlan() async {
        let (_, context, start) = TimeWarpSearchTests.overSubscribedStart(seed: 3)
        let worse = Self.plan(start, leavingOut: 2, context: context)
        let exchange = PlanExchange(searches: 3)
        // Search 2 ends before the meeting point (it offers without waiting); 0 and 1 wait for each other.
        _ = exchange.offer(worse, ranked: 300_000, search: 2, waiting: false)
        async let first = onThreadOfItsOwn { exchange.offer(worse, ranked: 200_000, search: 0, waiting: true) }
        async let second = onThreadOfItsOwn { exchange.offer(start, ranked: 100_000, search: 1, waiting: true) }
        let (adoptedByFirst, adoptedBySecond) = await (first, second)
        #expect(adoptedByFirst?.cost == start.cost && adoptedByFirst?.unassigned == start.unassigned)
        #expect(adoptedBySecond == nil, "the search holding the best plan keeps its own")
    }

    @Test("a search that withdraws (it got no thread of its own) is not waited for")
    func withdrawnSearchesAreNotWaitedFor() async {
        let (_, context, start) = TimeWarpSearchTests.overSubscribedStart(seed: 3)
        let worse = Self.plan(start, leavingOut: 2, context: context)
        let exchange = PlanExchange(searches: 3)
        exchange.withdraw()
        async let first = onThreadOfItsOwn { exchange.offer(worse, ranked: 200_000, search: 0, waiting: true) }
        async let second = onThreadOfItsOwn { exchange.offer(start, ranked: 100_000, search: 1, waiting: true) }
        let (adoptedByFirst, adoptedBySecond) = await (first, second)
        #expect(adoptedByFirst?.cost == start.cost && adoptedBySecond == nil)
    }

    @Test("on over-subscribed days, two and three searches meet, end, and give the same plan for the same seed", arguments: [2, 3])
    func parallelSearchesMeetAndStayDeterministic(threads: Int) async throws {
        let problem = TimeWarpSearchTests.overSubscribed(seed: 11, jobs: 20)
        let optimizer = try RouteOptimizer(problem: problem)
        let options = OptimizerOptions(seed: 5, threads: threads, limits: RandomProblems.iterationLimit(3_000))
        let first = try await optimizer.optimize(options)
        let second = try await optimizer.optimize(options)
        #expect(first.plan == second.plan && first.cost == second.cost)
        #expect(first.cost.unassigned > 0, "the day is over-subscribed, so the packing phase and its exchange ran")
    }
}
