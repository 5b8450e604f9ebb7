@testable import RouteOptimization
import Testing

@Suite("Lower bound on the number of routes")
struct RouteLowerBoundTests {
    /// Five technicians at the origin (capacity 10, shift [0, 200]) and `jobs` jobs on a line 10 apart, each with
    /// demand 3, service 30 and the given window.
    static func problem(jobs: Int, window: TimeWindow) -> RoutingProblem {
        let points: [(x: Double, y: Double)] = [(0, 0)] + (1...jobs).map { (x: Double($0 * 10), y: 0) }
        let technicians = (0..<5).map { Technician(id: Technician.ID("T\($0)"), startNode: 0, endNode: 0, shifts: [Shift(start: 0, end: 200)], capacity: 10) }
        let list = (1...jobs).map {
            Job(id: Job.ID("J\($0)"), node: $0, serviceMinutes: 30, timeWindows: [window], downtimeWeight: 1, unassignedPenalty: 1_000_000, demand: 3)
        }
        return RoutingProblem(technicians: technicians, jobs: list, travel: .denseEuclidean(points), objective: .travelOnly(fixedCostPerRoute: 10_000))
    }

    @Test("the capacity bound rounds the total demand over the largest capacity up")
    func capacityBound() throws {
        let compiled = CompiledProblem(Self.problem(jobs: 5, window: TimeWindow(earliest: 0, latest: 100)))
        #expect(compiled.routeLowerBound(serving: Array(0..<5)) == 2)
        #expect(compiled.routeLowerBound(serving: Array(0..<3)) == 1)
        #expect(compiled.routeLowerBound(serving: []) == 0)
    }

    @Test("jobs that cannot share a route each need their own, and the optimiser uses exactly that many")
    func incompatibleJobs() async throws {
        // Every job must start at 60: after one 30-minute visit, no other can start by 60.
        let problem = Self.problem(jobs: 4, window: TimeWindow(earliest: 60, latest: 60))
        #expect(CompiledProblem(problem).routeLowerBound(serving: Array(0..<4)) == 4)
        let result = try await RouteOptimizer(problem: problem).optimize(OptimizerOptions(seed: 1, limits: RandomProblems.iterationLimit(200)))
        #expect(result.cost.unassigned == 0)
        #expect(result.cost.routesUsed == 4)
    }
}
