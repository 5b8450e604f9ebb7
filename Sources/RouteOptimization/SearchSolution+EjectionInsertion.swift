/// Where `SearchSolution.insertByEjection` puts a job: the position in the route and the visits it ejects.
struct EjectionChoice {
    var route: Int
    var position: Int
    /// Indices, in the route with the job inserted, of the ejected visits (one or two, ascending).
    var ejected: [Int]
    /// Σ absence counter of the ejected visits (P_sum in Nagata & Bräysy 2009).
    var absenceSum: Int
}

extension CompiledProblem {
    /// Where `route` first fails to serve `jobs`, which are the visits of `state` with one inserted at `insertion`,
    /// without the visits at `skipped` (ascending). The first `first` visits are unchanged, so their schedule is
    /// reused.
    /// - Returns: `nil` when the route is feasible (capacity aside); else the index in `jobs` of the first visit
    ///   that cannot be served, or `jobs.count` when the shift end or the break is missed after the last one.
    ///   Visits after a failing one cannot change whether it fails.
    /// - Complexity: O(n) for n visits, less when a visit ends at its old time with the same break state.
    func firstFailure(_ jobs: [Int], insertedAt insertion: Int, skipping skipped: [Int], unchangedPrefix first: Int, state: RouteState, route: Int) -> Int? {
        var cursor: ScheduleCursor
        if first == 0 {
            cursor = startCursor(route: route)
        } else {
            cursor = ScheduleCursor(time: state.completion[first - 1], node: jobNode[state.jobs[first - 1]], breakPending: state.breakPendingAfter[first - 1])
        }
        let lastChange = max(insertion, skipped.last ?? -1)
        var skip = 0
        for index in first..<jobs.count {
            if skip < skipped.count && skipped[skip] == index {
                skip += 1
                continue
            }
            let job = jobs[index]
            guard serve(job, pair: pair(job: job, route: route), route: route, cursor: &cursor) != nil else { return index }
            // Past every change, visit `index` of `jobs` is visit `index - 1` of the route: once it ends as before,
            // the rest of the route is as before, hence feasible.
            if index > lastChange && cursor.time == state.completion[index - 1] && cursor.breakPending == state.breakPendingAfter[index - 1] {
                return nil
            }
        }
        return returnTime(route: route, cursor: cursor) == nil ? jobs.count : nil
    }
}

/// The depth-first search of one route's ejections in `SearchSolution.insertByEjection`: sets of visits in
/// ascending order, as the lexicographic search of Nagata & Bräysy (2009, §2.3), pruned by the best absence sum
/// found so far and by the first visit that still fails (ejecting a later visit cannot make it feasible). When
/// every visit has a time-warp segment, each set is checked in O(1) by concatenating the schedule up to the last
/// ejected visit with the rest of the route (`extendBySegments`), else visit by visit (`extend`).
///
/// One search serves a whole `insertByEjection` call: `start` and `prepare` point it at each route and position in
/// turn and refill its buffers in place, so the problem, the route and the absence counters are not copied (nor their
/// arrays retained) for every position tried.
private struct RouteEjectionSearch {
    let compiled: CompiledProblem
    let absences: [Int]
    let maximumEjected: Int
    private(set) var state = RouteState()
    private(set) var route = -1
    /// The route's visits with the job inserted at `position`.
    private(set) var sequence: [Int] = []
    private(set) var position = 0
    /// Indices in `sequence` that may be ejected, ascending.
    private var ejectable: [Int] = []
    /// The least absence sum found so far, in this route or an earlier one.
    private(set) var bound = Int.max
    /// The ejected indices of the best choice found at the current position.
    private(set) var found: [Int]?
    /// The indices ejected on the way to the set being tried.
    private var ejected: [Int] = []

    init(compiled: CompiledProblem, absences: [Int], maximumEjected: Int) {
        self.compiled = compiled
        self.absences = absences
        self.maximumEjected = maximumEjected
    }

    /// Starts on `route`, whose current visits are `state`.
    mutating func start(route: Int, state: RouteState) {
        self.route = route
        self.state = state
        sequence.reserveCapacity(state.jobs.count + 1)
    }

    /// Inserts `job` at `position` of the current route and forgets the choice of the previous position.
    mutating func prepare(inserting job: Int, at position: Int, isFixed: [Bool]) {
        self.position = position
        sequence.removeAll(keepingCapacity: true)
        sequence.append(contentsOf: state.jobs)
        sequence.insert(job, at: position)
        ejectable.removeAll(keepingCapacity: true)
        for index in state.lockedPrefix..<sequence.count where index != position && !isFixed[sequence[index]] { ejectable.append(index) }
        found = nil
    }

    /// Tries ejecting, besides those ejected so far, the ejectable visits from `rank` on up to the visit at index
    /// `failure`, each with the least absence sum it leads to.
    mutating func extend(fromRank rank: Int, through failure: Int, absenceSum: Int, demandExcess: Double) {
        guard ejected.count < maximumEjected else { return }
        for next in rank..<ejectable.count {
            let index = ejectable[next]
            if index > failure || bound == 0 { return }
            let sum = absenceSum + absences[sequence[index]]
            if sum >= bound { continue }
            ejected.append(index)
            let excess = demandExcess - compiled.jobDemand[sequence[index]]
            let failing = compiled.firstFailure(sequence, insertedAt: position, skipping: ejected, unchangedPrefix: min(ejected[0], position), state: state, route: route)
            if failing == nil && excess <= 0 {
                bound = sum
                found = ejected
            } else {
                extend(fromRank: next + 1, through: failing ?? sequence.count, absenceSum: sum, demandExcess: excess)
            }
            ejected.removeLast()
        }
    }

    /// `extend` with O(1) feasibility checks: `schedule` is the route's start and the visits of `sequence` before
    /// `index` without those ejected, `rank` the rank of the first ejectable visit at or after `index`, and
    /// `segments` are those of `sequence`. Once `schedule` has time warp, a visit already in it fails whatever is
    /// ejected later, which ends the search as the failure index ends `extend`.
    /// Time warp below 10⁻⁹ minutes counts as none; the chosen route is scheduled again before it is kept.
    mutating func extendBySegments(from index: Int, rank: Int, schedule: TimeWarpSegment, segments: RouteSegments, absenceSum: Int, demandExcess: Double) {
        guard ejected.count < maximumEjected else { return }
        var schedule = schedule
        var rank = rank
        for index in index..<sequence.count {
            if bound == 0 || rank == ejectable.count { return }
            if ejectable[rank] == index {
                rank += 1
                let sum = absenceSum + absences[sequence[index]]
                if sum < bound {
                    ejected.append(index)
                    let excess = demandExcess - compiled.jobDemand[sequence[index]]
                    if compiled.concatenate(schedule, segments.suffix[index + 1]).timeWarp <= 1e-9 && excess <= 0 {
                        bound = sum
                        found = ejected
                    } else {
                        extendBySegments(from: index + 1, rank: rank, schedule: schedule, segments: segments, absenceSum: sum, demandExcess: excess)
                    }
                    ejected.removeLast()
                }
            }
            schedule = compiled.concatenate(schedule, segments.visits[index])
            if schedule.timeWarp > 1e-9 { return }
        }
    }
}

extension SearchSolution {
    /// Shortest route (with the job inserted) whose ejections are checked by segments. On shorter routes the
    /// visit-by-visit check, which stops where the schedule meets its old times, is as cheap as building them:
    /// Solomon's R111 (10 visits a route, 20,000 iterations) took 4.0-5.0 s visit by visit and 5.1 s by segments;
    /// at 6,000 iterations RC202 (33 visits a route) took 6.5 s and 2.2 s, R211 (50) 6.0 s and 2.1 s, with the
    /// same plans.
    static let segmentEjectionMinimumVisits = 20

    /// Ejection insertion of an unassigned job (Nagata, Y. & Bräysy, O. (2009), "A powerful route minimization
    /// heuristic for the vehicle routing problem with time windows", *Operations Research Letters* 37(5):333-338,
    /// https://doi.org/10.1016/j.orl.2009.04.006, §2.3): among every position of every route that can take `job`
    /// once up to `maximumEjected` other visits leave it, the one whose ejected visits have the least sum of
    /// absence counters (how often each was left out so far), so that visits rarely left out stay in; ties go
    /// to the first found, routes being tried in random order. A position that needs no ejection wins at once.
    /// Pinned, frozen and locked visits are never ejected.
    /// - Parameters:
    ///   - absences: absence counter of every job.
    ///   - allowEmptyRoutes: whether an empty route may take the job (it needs no ejection then).
    /// - Returns: the ejected jobs (now unassigned, their penalties counted), or `nil` when nothing changed.
    /// - Complexity: O(R × n^(e+2)) for R candidate routes of n visits and e = `maximumEjected`, much less since
    ///   no set is extended past the first visit that still fails and a choice with a small absence sum prunes the
    ///   rest.
    mutating func insertByEjection(_ job: Int, context: SearchContext, absences: [Int], maximumEjected: Int, allowEmptyRoutes: Bool, rng: inout SplitMix64) -> [Int]? {
        let compiled = context.compiled
        var candidates = compiled.eligibleRoutes[job].filter { allowEmptyRoutes || !routes[$0].jobs.isEmpty }
        candidates.shuffle(using: &rng)
        var best: EjectionChoice?
        var segments = RouteSegments()
        var search = RouteEjectionSearch(compiled: compiled, absences: absences, maximumEjected: maximumEjected)
        search: for route in candidates {
            search.start(route: route, state: routes[route])
            let state = search.state
            let demandExcess = state.load + compiled.jobDemand[job] - compiled.routeCapacity[route]
            for position in state.lockedPrefix...state.jobs.count {
                search.prepare(inserting: job, at: position, isFixed: context.isFixed)
                let sequence = search.sequence
                let failure = compiled.firstFailure(sequence, insertedAt: position, skipping: [], unchangedPrefix: position, state: state, route: route)
                if failure == nil && demandExcess <= 0 {
                    best = EjectionChoice(route: route, position: position, ejected: [], absenceSum: 0)
                    break search
                }
                if sequence.count >= Self.segmentEjectionMinimumVisits && segments.refill(jobs: sequence, route: route, compiled: compiled) {
                    search.extendBySegments(from: 0, rank: 0, schedule: segments.prefix[0], segments: segments, absenceSum: 0, demandExcess: demandExcess)
                } else {
                    search.extend(fromRank: 0, through: failure ?? sequence.count, absenceSum: 0, demandExcess: demandExcess)
                }
                if let found = search.found {
                    best = EjectionChoice(route: route, position: position, ejected: found, absenceSum: search.bound)
                }
            }
        }
        guard let choice = best else { return nil }
        let state = routes[choice.route]
        var jobs = state.jobs
        jobs.insert(job, at: choice.position)
        let ejected = choice.ejected.map { jobs[$0] }
        for index in choice.ejected.reversed() { jobs.remove(at: index) }
        guard let rebuilt = compiled.buildRoute(choice.route, jobs: jobs, lockedPrefix: state.lockedPrefix) else { return nil }
        replaceRoute(choice.route, with: rebuilt)
        cost -= compiled.jobPenalty[job]
        unassigned.removeAll { $0 == job }
        for other in ejected {
            routeOfJob[other] = -1
            cost += compiled.jobPenalty[other]
        }
        unassigned.append(contentsOf: ejected)
        return ejected
    }
}
