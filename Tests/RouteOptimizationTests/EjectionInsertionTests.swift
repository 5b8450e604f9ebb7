@testable import RouteOptimization
import Testing

@Suite("Ejection insertion")
struct EjectionInsertionTests {
    /// The least absence sum of any route, position and set of at most `maximumEjected` other visits whose ejection
    /// lets `job` in, found by trying every one; `nil` when there is none.
    static func leastAbsenceSum(of job: Int, in solution: SearchSolution, compiled: CompiledProblem, absences: [Int], maximumEjected: Int) -> Int? {
        var least: Int?
        for route in 0..<compiled.routeCount {
            let jobs = solution.routes[route].jobs
            for position in 0...jobs.count {
                var inserted = jobs
                inserted.insert(job, at: position)
                let others = (0..<inserted.count).filter { $0 != position }
                for ejected in subsets(of: others, largest: maximumEjected) {
                    let kept = inserted.indices.filter { !ejected.contains($0) }.map { inserted[$0] }
                    guard compiled.buildRoute(route, jobs: kept) != nil else { continue }
                    let sum = ejected.reduce(0) { $0 + absences[inserted[$1]] }
                    least = min(least ?? .max, sum)
                }
            }
        }
        return least
    }

    /// Every subset of `items` with at most `largest` elements, each in the order of `items`.
    static func subsets(of items: [Int], largest: Int) -> [[Int]] {
        var result: [[Int]] = [[]]
        for item in items {
            result += result.filter { $0.count < largest }.map { $0 + [item] }
        }
        return result
    }

    /// An over-subscribed day of two technicians and 60 short jobs close together, so that routes hold 20 visits
    /// or more and ejections are checked by time-warp segments (`SearchSolution.segmentEjectionMinimumVisits`).
    static func longRoutesStart(seed: UInt64) -> (problem: RoutingProblem, context: SearchContext, start: SearchSolution) {
        let jobCount = 60
        var random = TestRandom(seed: seed &+ 300)
        let points: [(x: Double, y: Double)] = [(10, 10)] + (0..<jobCount).map { _ in (random.uniform(0, 20), random.uniform(0, 20)) }
        let technicians = (0..<2).map { Technician(id: Technician.ID("T\($0)"), startNode: 0, endNode: 0, shifts: [Shift(start: 0, end: 400)], capacity: 27) }
        let jobs = (1...jobCount).map { index in
            let open = random.uniform(0, 340)
            return Job(id: Job.ID("J\(index)"), node: index, serviceMinutes: random.uniform(3, 10),
                       timeWindows: [random.chance(0.5) ? TimeWindow(earliest: open, latest: open + 60) : TimeWindow(earliest: 0, latest: 400)],
                       downtimeWeight: random.uniform(1, 10), unassignedPenalty: 100_000, demand: 1)
        }
        let problem = RoutingProblem(technicians: technicians, jobs: jobs, travel: .denseEuclidean(points), objective: .downtime)
        return TimeWarpSearchTests.cheapestInsertionStart(problem, seed: seed)
    }

    @Test("it ejects the visits with the least absence sum that let the job in, and the route stays feasible", arguments: [1, 2, 3])
    func matchesBruteForce(maximumEjected: Int) throws {
        var counts = (inserted: 0, impossible: 0, withEjections: 0)
        for seed: UInt64 in 1...8 {
            try Self.checkAgainstBruteForce(TimeWarpSearchTests.overSubscribedStart(seed: seed), seed: seed, maximumEjected: maximumEjected, counts: &counts)
        }
        // The instances exercise real ejections.
        #expect(counts.inserted > 0 && counts.withEjections > 0, "\(counts.impossible) jobs could not be inserted")
    }

    @Test("on routes long enough to be checked by time-warp segments, it ejects what trying every set would", arguments: [1, 2])
    func longRoutesMatchBruteForce(maximumEjected: Int) throws {
        var counts = (inserted: 0, impossible: 0, withEjections: 0)
        for seed: UInt64 in 1...3 {
            let start = Self.longRoutesStart(seed: seed)
            #expect(start.start.routes.allSatisfy { $0.jobs.count + 1 >= SearchSolution.segmentEjectionMinimumVisits }, "seed \(seed)")
            #expect(!start.start.unassigned.isEmpty, "seed \(seed)")
            try Self.checkAgainstBruteForce(start, seed: seed, maximumEjected: maximumEjected, counts: &counts)
        }
        #expect(counts.inserted > 0 && counts.withEjections > 0, "\(counts.impossible) jobs could not be inserted")
    }

    /// Ejection insertion of each unassigned job of `instance.start` (with random absence counters) against
    /// `leastAbsenceSum`: the same least sum, the job in, the ejected jobs out, and a feasible plan at its cost.
    static func checkAgainstBruteForce(_ instance: (problem: RoutingProblem, context: SearchContext, start: SearchSolution), seed: UInt64, maximumEjected: Int,
                                       counts: inout (inserted: Int, impossible: Int, withEjections: Int)) throws {
        let (problem, context, start) = instance
        let compiled = context.compiled
        var random = TestRandom(seed: seed &+ 50)
        var rng = SplitMix64(seed: seed)
        for job in start.unassigned {
            let absences = (0..<compiled.jobCount).map { _ in random.int(0...4) }
            let least = leastAbsenceSum(of: job, in: start, compiled: compiled, absences: absences, maximumEjected: maximumEjected)
            var trial = start
            let ejected = trial.insertByEjection(job, context: context, absences: absences, maximumEjected: maximumEjected,
                                                 allowEmptyRoutes: true, rng: &rng)
            guard let least else {
                #expect(ejected == nil, "seed \(seed), job \(job): no choice exists, yet one was made")
                counts.impossible += 1
                continue
            }
            let chosen = try #require(ejected, "seed \(seed), job \(job): a choice with absence sum \(least) exists")
            counts.inserted += 1
            if !chosen.isEmpty { counts.withEjections += 1 }
            #expect(chosen.count <= maximumEjected)
            #expect(chosen.reduce(0) { $0 + absences[$1] } == least, "seed \(seed), job \(job)")
            #expect(trial.routeOfJob[job] >= 0)
            #expect(Set(trial.unassigned) == Set(start.unassigned).subtracting([job]).union(chosen))
            let plan = trial.plan(compiled: compiled)
            let checked = IndependentPlanChecker(problem: problem).check(plan)
            #expect(checked.feasible, "seed \(seed), job \(job): \(checked.violations)")
            let evaluation = try RouteOptimizer(problem: problem).evaluate(plan)
            #expect(abs(evaluation.cost.total - trial.cost) <= 1e-6 * trial.cost)
        }
    }
}
