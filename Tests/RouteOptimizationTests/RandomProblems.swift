import RouteOptimization

/// Small seeded generator for test instances (a linear congruential generator of its own, so that test data does
/// not depend on the solver's random source).
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }

    mutating func unit() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) * 0x1.0p-53
    }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(unit() * Double(range.count)) % range.count }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }
}

enum RandomProblems {
    /// A problem with every feature on: multi-day shifts, breaks, skill levels with level-dependent service,
    /// two windows, release times per technician, due times with lateness, capacities, pinned visits.
    static func everyFeature(seed: UInt64, jobs jobCount: Int = 10, technicians technicianCount: Int = 3) -> RoutingProblem {
        var random = TestRandom(seed: seed)
        var points: [(x: Double, y: Double)] = []
        var technicians: [Technician] = []
        let skillNames = ["electrical", "hvac"]
        for index in 0..<technicianCount {
            points.append((random.uniform(0, 40), random.uniform(0, 40)))
            var shifts: [Shift] = []
            for day in 0..<random.int(1...2) {
                let origin = Double(day) * 1440
                let breakRule = random.chance(0.6)
                    ? BreakRule(window: TimeWindow(earliest: origin + 180, latest: origin + 300), minutes: 30) : nil
                shifts.append(Shift(start: origin, end: origin + 540, breakRule: breakRule))
            }
            var skills: [String: Int] = [:]
            for name in skillNames where random.chance(0.7) { skills[name] = random.int(1...3) }
            technicians.append(Technician(id: Technician.ID("T\(index)"), startNode: points.count - 1, endNode: points.count - 1,
                                          shifts: shifts, skills: skills, capacity: random.chance(0.5) ? random.uniform(20, 60) : nil))
        }
        var jobs: [Job] = []
        for index in 0..<jobCount {
            points.append((random.uniform(0, 40), random.uniform(0, 40)))
            let day = Double(random.int(0...1)) * 1440
            var windows = [TimeWindow(earliest: day, latest: day + 480)]
            if random.chance(0.4) {
                let open = day + random.uniform(0, 300)
                windows = [TimeWindow(earliest: open, latest: open + 60), TimeWindow(earliest: open + 200, latest: open + 320)]
            }
            var requirements: [SkillRequirement] = []
            if random.chance(0.7) { requirements.append(SkillRequirement(skill: skillNames[random.int(0...1)], minimumLevel: random.int(1...2))) }
            var releaseByTechnician: [Technician.ID: Double] = [:]
            if random.chance(0.3) { releaseByTechnician[technicians[random.int(0...(technicianCount - 1))].id] = day + random.uniform(60, 240) }
            let service = random.uniform(15, 60)
            jobs.append(Job(
                id: Job.ID("J\(index)"), node: points.count - 1, serviceMinutes: service,
                serviceMinutesByLevel: random.chance(0.5) ? [3: service * 0.6] : [:],
                timeWindows: windows, requiredSkills: requirements, downtimeWeight: Double(random.int(1...10)),
                releaseTime: random.chance(0.3) ? day + random.uniform(0, 120) : -.infinity,
                releaseTimeByTechnician: releaseByTechnician,
                dueTime: random.chance(0.5) ? day + random.uniform(120, 400) : nil,
                latenessCostPerMinute: random.uniform(0, 20), unassignedPenalty: random.uniform(2_000, 20_000),
                demand: random.uniform(0, 15)))
        }
        // Pin one unconstrained job to a technician's first shift at the front of the route.
        var pinned: [PinnedVisit] = []
        if random.chance(0.7) {
            let job = random.int(0...(jobCount - 1))
            jobs[job].requiredSkills = []
            jobs[job].timeWindows = [TimeWindow(earliest: 0, latest: 3000)]
            jobs[job].releaseTime = -.infinity
            jobs[job].releaseTimeByTechnician = [:]
            jobs[job].demand = 0
            pinned.append(PinnedVisit(job: job, technician: random.int(0...(technicianCount - 1))))
        }
        let objective = ObjectiveWeights(downtimeFactor: 1, travelCostPerMinute: random.uniform(0, 3), travelCostPerDistance: 0, fixedCostPerRoute: random.uniform(0, 100))
        return RoutingProblem(technicians: technicians, jobs: jobs, travel: .denseEuclidean(points), objective: objective, pinnedVisits: pinned)
    }

    static func iterationLimit(_ iterations: Int) -> SearchLimits { SearchLimits(maxIterations: iterations) }
}
