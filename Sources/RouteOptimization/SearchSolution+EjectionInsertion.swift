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
    /// Whether `route` can serve `jobs`, which are the visits of `state` with one inserted at `insertion`, without
    /// the visits at `skipped` (ascending). The first `first` visits are unchanged, so their schedule is reused.
    /// - Complexity: O(n) for n visits, less when a visit ends at its old time with the same break state.
    func isFeasible(_ jobs: [Int], insertedAt insertion: Int, skipping skipped: [Int], unchangedPrefix first: Int, state: RouteState, route: Int) -> Bool {
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
            guard serve(job, pair: pair(job: job, route: route), route: route, cursor: &cursor) != nil else { return false }
            // Past every change, visit `index` of `jobs` is visit `index - 1` of the route: once it ends as before,
            // the rest of the route is as before, hence feasible.
            if index > lastChange && cursor.time == state.completion[index - 1] && cursor.breakPending == state.breakPendingAfter[index - 1] {
                return true
            }
        }
        return returnTime(route: route, cursor: cursor) != nil
    }
}

extension SearchSolution {
    /// Ejection insertion of an unassigned job (Nagata, Y. & Bräysy, O. (2009), "A powerful route minimization
    /// heuristic for the vehicle routing problem with time windows", *Operations Research Letters* 37(5):333-338,
    /// https://doi.org/10.1016/j.orl.2009.04.006, §2.3): among every position of every route that can take `job`
    /// once up to `maximumEjected` other visits leave it, the one whose ejected visits have the least sum of
    /// absence counters (how often each was left out so far), so that visits rarely left out stay in; ties go
    /// to the first found, routes being tried in random order. Pinned, frozen and locked visits are never ejected.
    /// - Parameters:
    ///   - absences: absence counter of every job.
    ///   - allowEmptyRoutes: whether an empty route may take the job (it needs no ejection then).
    /// - Returns: the ejected jobs (now unassigned, their penalties counted), or `nil` when nothing changed.
    /// - Complexity: O(R × n^(e+2)) for R candidate routes of n visits and e = `maximumEjected`, much less once a
    ///   choice with a small absence sum prunes the rest.
    mutating func insertByEjection(_ job: Int, context: SearchContext, absences: [Int], maximumEjected: Int, allowEmptyRoutes: Bool, rng: inout SplitMix64) -> [Int]? {
        let compiled = context.compiled
        var candidates = compiled.eligibleRoutes[job].filter { allowEmptyRoutes || !routes[$0].jobs.isEmpty }
        candidates.shuffle(using: &rng)
        var best: EjectionChoice?
        var sequence: [Int] = []
        search: for route in candidates {
            let state = routes[route]
            let demandExcess = state.load + compiled.jobDemand[job] - compiled.routeCapacity[route]
            for position in state.lockedPrefix...state.jobs.count {
                sequence.removeAll(keepingCapacity: true)
                sequence.append(contentsOf: state.jobs)
                sequence.insert(job, at: position)
                if demandExcess <= 0 && compiled.isFeasible(sequence, insertedAt: position, skipping: [], unchangedPrefix: position, state: state, route: route) {
                    best = EjectionChoice(route: route, position: position, ejected: [], absenceSum: 0)
                    break search
                }
                let ejectable = (state.lockedPrefix..<sequence.count).filter { $0 != position && !context.isFixed[sequence[$0]] }
                for (rank, first) in ejectable.enumerated() {
                    let firstAbsence = absences[sequence[first]]
                    if firstAbsence >= (best?.absenceSum ?? .max) { continue }
                    let firstDemand = compiled.jobDemand[sequence[first]]
                    if demandExcess - firstDemand <= 0 && compiled.isFeasible(sequence, insertedAt: position, skipping: [first], unchangedPrefix: min(first, position), state: state, route: route) {
                        best = EjectionChoice(route: route, position: position, ejected: [first], absenceSum: firstAbsence)
                        if firstAbsence == 0 { break search }
                        continue
                    }
                    guard maximumEjected >= 2 else { continue }
                    for second in ejectable[(rank + 1)...] {
                        let absenceSum = firstAbsence + absences[sequence[second]]
                        if absenceSum >= (best?.absenceSum ?? .max) || demandExcess - firstDemand - compiled.jobDemand[sequence[second]] > 0 { continue }
                        if compiled.isFeasible(sequence, insertedAt: position, skipping: [first, second], unchangedPrefix: min(first, position), state: state, route: route) {
                            best = EjectionChoice(route: route, position: position, ejected: [first, second], absenceSum: absenceSum)
                        }
                    }
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
