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

    @Test("it ejects the visits with the least absence sum that let the job in, and the route stays feasible", arguments: [1, 2, 3])
    func matchesBruteForce(maximumEjected: Int) throws {
        var inserted = 0, impossible = 0, withEjections = 0
        for seed: UInt64 in 1...8 {
            let (problem, context, start) = TimeWarpSearchTests.overSubscribedStart(seed: seed)
            let compiled = context.compiled
            var random = TestRandom(seed: seed &+ 50)
            var rng = SplitMix64(seed: seed)
            for job in start.unassigned {
                let absences = (0..<compiled.jobCount).map { _ in random.int(0...4) }
                let least = Self.leastAbsenceSum(of: job, in: start, compiled: compiled, absences: absences, maximumEjected: maximumEjected)
                var trial = start
                let ejected = trial.insertByEjection(job, context: context, absences: absences, maximumEjected: maximumEjected,
                                                     allowEmptyRoutes: true, rng: &rng)
                guard let least else {
                    #expect(ejected == nil, "seed \(seed), job \(job): no choice exists, yet one was made")
                    impossible += 1
                    continue
                }
                let chosen = try #require(ejected, "seed \(seed), job \(job): a choice with absence sum \(least) exists")
                inserted += 1
                if !chosen.isEmpty { withEjections += 1 }
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
        // The instances exercise real ejections.
        #expect(inserted > 0 && withEjections > 0, "\(impossible) jobs could not be inserted")
    }
}
