@testable import RouteOptimization
import Testing

@Suite("Search through infeasible plans (time warp)")
struct TimeWarpSearchTests {
    /// Two technicians at the centre, shift [0, 300], and `jobs` jobs of 40 to 90 minutes scattered around with
    /// two-hour windows or none: more work than the shifts hold, so every plan leaves some out.
    static func overSubscribed(seed: UInt64, jobs jobCount: Int) -> RoutingProblem {
        var random = TestRandom(seed: seed)
        let points: [(x: Double, y: Double)] = [(20, 20)] + (0..<jobCount).map { _ in (random.uniform(0, 40), random.uniform(0, 40)) }
        let technicians = (0..<2).map { Technician(id: Technician.ID("T\($0)"), startNode: 0, endNode: 0, shifts: [Shift(start: 0, end: 300)], capacity: 8) }
        let jobs = (1...jobCount).map { index in
            let open = random.uniform(0, 200)
            return Job(id: Job.ID("J\(index)"), node: index, serviceMinutes: random.uniform(40, 90),
                       timeWindows: [random.chance(0.5) ? TimeWindow(earliest: open, latest: open + 120) : TimeWindow(earliest: 0, latest: 300)],
                       downtimeWeight: random.uniform(1, 10), unassignedPenalty: 100_000, demand: random.uniform(1, 3))
        }
        return RoutingProblem(technicians: technicians, jobs: jobs, travel: .denseEuclidean(points), objective: .downtime)
    }

    /// `overSubscribed(seed:jobs:)` with 14 jobs, its search context and the plan of cheapest insertion.
    static func overSubscribedStart(seed: UInt64) -> (problem: RoutingProblem, context: SearchContext, start: SearchSolution) {
        cheapestInsertionStart(overSubscribed(seed: seed, jobs: 14), seed: seed)
    }

    /// `problem` with no pinned visit, its search context and the plan of inserting every job where it costs least,
    /// in job order.
    static func cheapestInsertionStart(_ problem: RoutingProblem, seed: UInt64) -> (problem: RoutingProblem, context: SearchContext, start: SearchSolution) {
        let compiled = CompiledProblem(problem)
        let jobCount = compiled.jobCount
        let context = SearchContext(compiled: compiled, isFixed: [Bool](repeating: false, count: jobCount), originalTechnician: [Int](repeating: -1, count: jobCount),
                                    disruptionBudget: .max)
        var start = SearchSolution(compiled: compiled)
        var scratch = InsertionScratch(routeCount: compiled.routeCount)
        var rng = SplitMix64(seed: seed)
        start.recreate(Array(0..<jobCount), context: context, scratch: &scratch, rng: &rng, blinkRate: 0)
        return (problem, context, start)
    }

    @Test("a feasible route has no violation and costs what the exact schedule costs", arguments: 1...6)
    func feasibleRoutesAgree(seed: UInt64) {
        let compiled = CompiledProblem(Self.overSubscribed(seed: seed, jobs: 12))
        var random = TestRandom(seed: seed &+ 100)
        var checked = 0
        for _ in 0..<200 {
            let jobs = (0..<random.int(1...5)).map { _ in random.int(0...11) }
            guard Set(jobs).count == jobs.count, let exact = compiled.buildRoute(0, jobs: jobs) else { continue }
            let relaxed = compiled.relaxedRoute(0, jobs: jobs, lockedPrefix: 0)
            #expect(relaxed.violation == 0)
            #expect(abs(relaxed.cost - exact.cost) <= 1e-9 * max(1, exact.cost))
            checked += 1
        }
        #expect(checked > 10)
    }

    @Test("an infeasible route has a positive violation, and insertion deltas equal the change of the penalised cost", arguments: 1...6)
    func insertionDeltas(seed: UInt64) {
        let compiled = CompiledProblem(Self.overSubscribed(seed: seed, jobs: 12))
        var random = TestRandom(seed: seed &+ 200)
        var infeasible = 0
        for _ in 0..<100 {
            var pool = Array(0..<12)
            let jobs = (0..<random.int(0...7)).map { _ in pool.remove(at: random.int(0...(pool.count - 1))) }
            let state = compiled.relaxedRoute(1, jobs: jobs, lockedPrefix: 0)
            #expect((state.violation == 0) == (compiled.buildRoute(1, jobs: jobs) != nil))
            if state.violation > 0 { infeasible += 1 }
            let weight = random.uniform(0.1, 100)
            for job in 0..<12 where !jobs.contains(job) {
                for position in 0...jobs.count {
                    var inserted = jobs
                    inserted.insert(job, at: position)
                    let scratch = compiled.relaxedRoute(1, jobs: inserted, lockedPrefix: 0)
                    let expected = scratch.cost + weight * scratch.violation - state.cost - weight * state.violation
                    let delta = compiled.relaxedInsertionDelta(of: job, pair: compiled.pair(job: job, route: 1), into: state, route: 1, at: position, warpWeight: weight, bound: .infinity)
                    #expect(abs(delta - expected) <= 1e-6 * max(1, abs(expected)))
                    // With a bound, exactly the changes below it are returned.
                    let bound = expected + random.uniform(-1, 1) * max(1, abs(expected))
                    guard abs(bound - expected) > 1e-6 * max(1, abs(expected)) else { continue }
                    let bounded = compiled.relaxedInsertionDelta(of: job, pair: compiled.pair(job: job, route: 1), into: state, route: 1, at: position, warpWeight: weight, bound: bound)
                    if expected < bound {
                        #expect(abs(bounded - expected) <= 1e-6 * max(1, abs(expected)))
                    } else {
                        #expect(bounded == .infinity)
                    }
                }
            }
        }
        #expect(infeasible > 10)
    }

    @Test("it returns at once when every job is already served")
    func nothingToServe() throws {
        let compiled = CompiledProblem(Self.overSubscribed(seed: 3, jobs: 3))
        let context = SearchContext(compiled: compiled, isFixed: [false, false, false], originalTechnician: [-1, -1, -1], disruptionBudget: .max)
        var start = SearchSolution(compiled: compiled)
        var scratch = InsertionScratch(routeCount: compiled.routeCount)
        var rng = SplitMix64(seed: 3)
        start.recreate([0, 1, 2], context: context, scratch: &scratch, rng: &rng, blinkRate: 0)
        try #require(start.unassigned.isEmpty)
        var search = TimeWarpSearch(context: context, seed: 3)
        let (best, iterations) = search.run(from: start, limits: RandomProblems.iterationLimit(1_000), phase: 0..<1, firstIteration: 7,
                                            rankingPenalties: compiled.jobPenalty, temperatures: .downtime)
        #expect(iterations == 7)
        #expect(best.plan(compiled: compiled) == start.plan(compiled: compiled))
    }

    @Test("on an over-subscribed day the plan it returns is feasible and serves at least as many jobs as its start", arguments: 1...4)
    func servesAtLeastAsMany(seed: UInt64) throws {
        let (problem, context, start) = Self.overSubscribedStart(seed: seed)
        let compiled = context.compiled
        #expect(!start.unassigned.isEmpty)
        var search = TimeWarpSearch(context: context, seed: seed)
        let (best, iterations) = search.run(from: start, limits: RandomProblems.iterationLimit(2_000), phase: 0..<1, firstIteration: 0,
                                            rankingPenalties: compiled.jobPenalty, temperatures: .downtime)
        #expect(iterations <= 2_000)
        #expect(best.unassigned.count <= start.unassigned.count)
        let plan = best.plan(compiled: compiled)
        let evaluation = try RouteOptimizer(problem: problem).evaluate(plan)
        #expect(abs(evaluation.cost.total - best.cost) <= 1e-6 * best.cost)
        let checked = IndependentPlanChecker(problem: problem).check(plan)
        #expect(checked.feasible, "seed \(seed): \(checked.violations)")
    }
}
