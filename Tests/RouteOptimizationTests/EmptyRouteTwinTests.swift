@testable import RouteOptimization
import Testing

@Suite("Interchangeable empty routes")
struct EmptyRouteTwinTests {
    /// Five technicians at the same depot: T0 has a lower skill level (longer services), T2 is T1's twin, T3 gets
    /// the part for the first job later, and T4 has two shifts, the first like T1's.
    static func problem() -> RoutingProblem {
        let points: [(x: Double, y: Double)] = [(0, 0), (3, 4), (6, 8), (1, 9)]
        let shift = Shift(start: 0, end: 480)
        let technicians = [
            Technician(id: Technician.ID("T0"), startNode: 0, endNode: 0, shifts: [shift], skills: ["copier": 1]),
            Technician(id: Technician.ID("T1"), startNode: 0, endNode: 0, shifts: [shift], skills: ["copier": 2]),
            Technician(id: Technician.ID("T2"), startNode: 0, endNode: 0, shifts: [shift], skills: ["copier": 2]),
            Technician(id: Technician.ID("T3"), startNode: 0, endNode: 0, shifts: [shift], skills: ["copier": 2]),
            Technician(id: Technician.ID("T4"), startNode: 0, endNode: 0, shifts: [shift, Shift(start: 480, end: 960)], skills: ["copier": 2]),
        ]
        let jobs = (1...3).map { node in
            Job(id: Job.ID("J\(node)"), node: node, serviceMinutes: 60, serviceMinutesByLevel: [1: 90], timeWindows: [TimeWindow(earliest: 0, latest: 900)],
                requiredSkills: [SkillRequirement(skill: "copier")], downtimeWeight: Double(node),
                releaseTimeByTechnician: node == 1 ? [Technician.ID("T3"): 120] : [:], unassignedPenalty: 10_000)
        }
        return RoutingProblem(technicians: technicians, jobs: jobs, travel: .denseEuclidean(points))
    }

    @Test("routes are twins only when every job would cost the same on either")
    func twins() {
        let compiled = CompiledProblem(Self.problem())
        // Routes: T0, T1, T2, T3, T4 first shift, T4 second shift.
        #expect(compiled.emptyRouteTwin == [0, 1, 1, 3, 1, 5])
    }

    /// Were T0's slower services ignored, T1 would pass for its twin and go unpriced.
    @Test("skipping twins changes no insertion: the best place is the one of pricing every route")
    func insertionsUnchanged() {
        let compiled = CompiledProblem(Self.problem())
        let context = SearchContext(compiled: compiled, isFixed: [false, false, false], originalTechnician: [-1, -1, -1], disruptionBudget: .max)
        let solution = SearchSolution(compiled: compiled)
        var scratch = InsertionScratch(routeCount: compiled.routeCount)
        var rng = SplitMix64(seed: 1)
        for job in 0..<3 {
            let choice = solution.bestInsertion(of: job, context: context, scratch: &scratch, rng: &rng, blinkRate: 0)
            var cheapest = (route: -1, delta: Double.infinity)
            for route in 0..<compiled.routeCount {
                let pair = compiled.pair(job: job, route: route)
                let delta = compiled.insertionCost(of: job, pair: pair, into: solution.routes[route], route: route, at: 0, bound: .infinity)
                if delta < cheapest.delta { cheapest = (route, delta) }
            }
            #expect(cheapest.route == 1, "job \(job)")
            #expect(choice?.route == cheapest.route, "job \(job)")
            #expect(choice?.delta == cheapest.delta, "job \(job)")
        }
    }
}
