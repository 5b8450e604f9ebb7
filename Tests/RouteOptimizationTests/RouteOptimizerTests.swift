import RouteOptimization
import Synchronization
import Testing

@Suite("Route optimizer")
struct RouteOptimizerTests {
    @Test("plans with every feature on pass the independent checker at the claimed cost", arguments: 1...24)
    func everyFeaturePlansAreFeasible(seed: UInt64) async throws {
        let problem = RandomProblems.everyFeature(seed: seed, jobs: 14, technicians: 3)
        let optimizer = try RouteOptimizer(problem: problem)
        let result = try await optimizer.optimize(OptimizerOptions(seed: seed, limits: RandomProblems.iterationLimit(300)))
        let checked = IndependentPlanChecker(problem: problem).check(result.plan)
        #expect(checked.feasible, "seed \(seed): \(checked.violations)")
        #expect(abs(checked.objective - result.cost.total) <= 1e-6 * max(1, checked.objective), "seed \(seed)")
        for pin in problem.pinnedVisits {
            let route = try #require(result.plan.routes.first { $0.jobs.contains(pin.job) }, "seed \(seed): pinned job \(pin.job) unassigned")
            #expect(route.technician == pin.technician && route.shift == pin.shift, "seed \(seed)")
        }
        #expect(result.cost.total <= result.initialCost + 1e-6 * max(1, result.initialCost), "seed \(seed): search made the plan worse")
    }

    @Test("equal seeds and iteration limits give equal plans, with one or two threads")
    func seededDeterminism() async throws {
        let problem = RandomProblems.everyFeature(seed: 99, jobs: 20, technicians: 4)
        let optimizer = try RouteOptimizer(problem: problem)
        for threads in [1, 2] {
            let options = OptimizerOptions(seed: 7, threads: threads, limits: RandomProblems.iterationLimit(400))
            let first = try await optimizer.optimize(options)
            let second = try await optimizer.optimize(options)
            #expect(first.plan == second.plan, "threads \(threads)")
            #expect(first.cost == second.cost, "threads \(threads)")
        }
    }

    @Test("searches run off Swift's cooperative pool: other tasks go on while more searches than cores run")
    func searchesLeaveTheCooperativePoolFree() async throws {
        let problem = RandomProblems.everyFeature(seed: 5, jobs: 20, technicians: 4)
        let optimizer = try RouteOptimizer(problem: problem)
        // Each search runs until this task, which needs a pool thread to run, tells it to stop once every search has
        // started. Searches holding pool threads would keep it from running until the safety stop (after 60 s), which
        // the test reports.
        let stop = Mutex(false)
        let running = Mutex(Set<Int>())
        let clock = ContinuousClock()
        let started = clock.now
        let safetyStop = Duration.seconds(60)
        let searches = 8
        let iterations = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<searches {
                let limits = SearchLimits(maxIterations: nil) {
                    running.withLock { _ = $0.insert(index) }
                    return stop.withLock { $0 } || clock.now - started > safetyStop ? 1 : 0
                }
                group.addTask { try await optimizer.optimize(OptimizerOptions(seed: UInt64(index + 1), threads: 1, limits: limits)).iterations }
            }
            while running.withLock({ $0.count }) < searches, clock.now - started < safetyStop {
                try await Task.sleep(for: .milliseconds(20))
            }
            stop.withLock { $0 = true }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(clock.now - started < safetyStop, "the searches kept this task from running")
        #expect(iterations.count == searches)
    }

    @Test("the solver's evaluator agrees with the independent checker on constructed plans", arguments: 30...40)
    func evaluatorAgreesWithChecker(seed: UInt64) throws {
        let problem = RandomProblems.everyFeature(seed: seed, jobs: 16, technicians: 3)
        let optimizer = try RouteOptimizer(problem: problem)
        let plan = try optimizer.construct(OptimizerOptions(seed: seed, limits: RandomProblems.iterationLimit(0)))
        let checked = IndependentPlanChecker(problem: problem).check(plan)
        let evaluated = try optimizer.evaluate(plan)
        #expect(checked.feasible, "seed \(seed): \(checked.violations)")
        #expect(abs(checked.objective - evaluated.cost.total) <= 1e-9 * max(1, checked.objective))
        for visit in evaluated.visits {
            let start = try #require(checked.starts[visit.job])
            #expect(abs(start - visit.start) <= 1e-9 * max(1, start), "job \(visit.job)")
        }
    }

    @Test("an infeasible plan is rejected by the evaluator and the checker alike")
    func infeasiblePlanRejected() throws {
        let problem = TinyProblems.twoTechnicians()
        let optimizer = try RouteOptimizer(problem: problem)
        // J2 needs hvac, which T0 lacks.
        let plan = Plan(routes: [PlannedRoute(technician: 0, jobs: [0, 2])], unassigned: [1, 3])
        #expect(throws: PlanViolation.notQualified(job: 2, technician: 0)) { try optimizer.evaluate(plan) }
        #expect(!IndependentPlanChecker(problem: problem).check(plan).feasible)
    }

    @Test("a malformed problem is rejected naming the field")
    func invalidProblemRejected() {
        var problem = TinyProblems.twoTechnicians()
        problem.jobs[1].timeWindows = [TimeWindow(earliest: 50, latest: 10)]
        #expect(throws: RoutingProblemError.invalidTimeWindow(job: Job.ID("J1"))) { try RouteOptimizer(problem: problem) }
        problem = TinyProblems.twoTechnicians()
        problem.jobs[0].node = 99
        #expect(throws: RoutingProblemError.nodeOutOfRange(field: "jobs[0].node", node: 99)) { try RouteOptimizer(problem: problem) }
    }
}

enum TinyProblems {
    /// Two technicians at the origin, four jobs on a line; J2 needs hvac (only T1), J3 has a tight window.
    static func twoTechnicians() -> RoutingProblem {
        let points: [(x: Double, y: Double)] = [(0, 0), (10, 0), (20, 0), (30, 0), (0, 10)]
        let shift = [Shift(start: 0, end: 480)]
        let technicians = [
            Technician(id: Technician.ID("T0"), startNode: 0, endNode: 0, shifts: shift, skills: ["electrical": 2]),
            Technician(id: Technician.ID("T1"), startNode: 0, endNode: 0, shifts: shift, skills: ["electrical": 1, "hvac": 1]),
        ]
        let allDay = [TimeWindow(earliest: 0, latest: 480)]
        let jobs = [
            Job(id: Job.ID("J0"), node: 1, serviceMinutes: 30, timeWindows: allDay, downtimeWeight: 5, unassignedPenalty: 10_000),
            Job(id: Job.ID("J1"), node: 2, serviceMinutes: 30, timeWindows: allDay, requiredSkills: [SkillRequirement(skill: "electrical", minimumLevel: 2)], downtimeWeight: 1, unassignedPenalty: 10_000),
            Job(id: Job.ID("J2"), node: 3, serviceMinutes: 30, timeWindows: allDay, requiredSkills: [SkillRequirement(skill: "hvac")], downtimeWeight: 8, unassignedPenalty: 10_000),
            Job(id: Job.ID("J3"), node: 4, serviceMinutes: 30, timeWindows: [TimeWindow(earliest: 100, latest: 120)], downtimeWeight: 2, unassignedPenalty: 10_000),
        ]
        return RoutingProblem(technicians: technicians, jobs: jobs, travel: .denseEuclidean(points))
    }
}
