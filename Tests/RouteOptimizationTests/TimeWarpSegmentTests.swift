@testable import RouteOptimization
import Testing

@Suite("Time-warp segments")
struct TimeWarpSegmentTests {
    /// Compares every O(1) price of `RouteSegments` with `infeasibility(of:route:)` on the edited sequence.
    @Test("removing, inserting, replacing and moving a visit priced by segments equals the visit-by-visit time warp", arguments: 1...8)
    func segmentsAgreeWithTheForwardTimeWarp(seed: UInt64) {
        var problem = TimeWarpSearchTests.overSubscribed(seed: seed, jobs: 12)
        var random = TestRandom(seed: seed &+ 300)
        // Release times up to the window's close, for everyone or for one technician.
        for job in problem.jobs.indices where random.chance(0.4) {
            let release = random.uniform(0, problem.jobs[job].timeWindows[0].latest)
            if random.chance(0.5) { problem.jobs[job].releaseTime = release } else { problem.jobs[job].releaseTimeByTechnician[Technician.ID("T1")] = release }
        }
        let compiled = CompiledProblem(problem)
        let close = { (segment: Double, forward: Double) in abs(segment - forward) <= 1e-9 * max(1, abs(forward)) }
        var infeasibleSeen = 0, compared = 0
        for _ in 0..<60 {
            let route = random.int(0...(compiled.routeCount - 1))
            var pool = (0..<12).filter { compiled.pair(job: $0, route: route) >= 0 }
            guard !pool.isEmpty else { continue }
            let jobs = (0..<random.int(1...min(8, pool.count))).map { _ in pool.remove(at: random.int(0...(pool.count - 1))) }
            guard let segments = RouteSegments(jobs: jobs, route: route, compiled: compiled) else {
                Issue.record("every visit of these problems has a segment")
                continue
            }
            let whole = compiled.infeasibility(of: jobs, route: route)
            if whole > 0 { infeasibleSeen += 1 }
            #expect(close(compiled.infeasibility(ofWhole: compiled.concatenate(segments.prefix[jobs.count], compiled.endSegment(route: route)), route: route), whole))
            #expect(close(compiled.infeasibility(ofWhole: compiled.concatenate(compiled.startSegment(route: route), segments.suffix[0]), route: route), whole))
            for index in jobs.indices {
                var without = jobs
                without.remove(at: index)
                #expect(close(segments.removing(index, compiled: compiled), compiled.infeasibility(of: without, route: route)))
                segments.moving(index, from: 0, compiled: compiled) { position, infeasibility in
                    var moved = without
                    moved.insert(jobs[index], at: position)
                    #expect(position != index)
                    #expect(close(infeasibility, compiled.infeasibility(of: moved, route: route)))
                    compared += 1
                }
            }
            for other in pool {
                guard let visit = segments.visit(other, compiled: compiled) else { continue }
                for position in 0...jobs.count {
                    var inserted = jobs
                    inserted.insert(other, at: position)
                    #expect(close(segments.inserting(visit, at: position, compiled: compiled), compiled.infeasibility(of: inserted, route: route)))
                }
                for index in jobs.indices {
                    var replaced = jobs
                    replaced[index] = other
                    #expect(close(segments.replacing(index, with: visit, compiled: compiled), compiled.infeasibility(of: replaced, route: route)))
                }
            }
        }
        // The comparisons covered infeasible routes and moves, not only trivial ones.
        #expect(infeasibleSeen > 5)
        #expect(compared > 100)
    }

    @Test("a route with a break, or a visit released after its window closes, has no segments")
    func segmentsAreRefusedWhereTheyWouldBeWrong() {
        var routesWithBreaks = 0
        for seed: UInt64 in 1...4 {
            let compiled = CompiledProblem(RandomProblems.everyFeature(seed: seed, jobs: 10, technicians: 3))
            for route in 0..<compiled.routeCount where compiled.routeHasBreak[route] {
                #expect(RouteSegments(jobs: [], route: route, compiled: compiled) == nil)
                routesWithBreaks += 1
            }
        }
        #expect(routesWithBreaks > 0)
        var late = TimeWarpSearchTests.overSubscribed(seed: 1, jobs: 4)
        late.jobs[0].releaseTime = late.jobs[0].timeWindows[0].latest + 10
        let lateCompiled = CompiledProblem(late)
        #expect(RouteSegments(jobs: [0], route: 0, compiled: lateCompiled) == nil)
        #expect(RouteSegments(jobs: [1], route: 0, compiled: lateCompiled) != nil)
    }
}
