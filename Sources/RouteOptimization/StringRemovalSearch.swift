/// When a search stops: an iteration limit (deterministic) and/or a time budget measured by the caller.
public struct SearchLimits: Sendable {
    /// Largest number of ruin-and-recreate iterations; `nil` for no limit.
    public var maxIterations: Int?
    /// Fraction of the time budget used so far, in [0, 1]; 1 or more stops the search. The library reads no clock:
    /// the caller supplies this (for example from `ContinuousClock`). Return 0 for a purely iteration-bound search.
    public var elapsedFraction: @Sendable () -> Double

    /// Creates limits.
    /// - Parameters:
    ///   - maxIterations: iteration limit, or `nil`.
    ///   - elapsedFraction: fraction of the time budget used so far.
    public init(maxIterations: Int?, elapsedFraction: @escaping @Sendable () -> Double = { 0 }) {
        self.maxIterations = maxIterations
        self.elapsedFraction = elapsedFraction
    }

    /// Overall progress in [0, 1] and beyond: the larger of the elapsed time fraction and the iteration fraction.
    /// - Parameter iterations: iterations done so far.
    func progress(afterIterations iterations: Int) -> Double {
        let elapsed = elapsedFraction()
        guard let maximum = maxIterations else { return elapsed }
        return max(elapsed, Double(iterations) / Double(max(1, maximum)))
    }
}

/// Slack Induction by String Removals (SISR) with simulated-annealing acceptance.
///
/// Christiaens, J. & Vanden Berghe, G. (2020). Slack Induction by String Removals for Vehicle Routing Problems.
/// Transportation Science 54(2):417-433, https://doi.org/10.1287/trsc.2019.0914. Each iteration removes a few
/// strings (runs of consecutive visits, sometimes with a preserved middle part) from routes close to a random seed
/// job, then reinserts the removed jobs greedily, in a random, most-urgent-first or distance-based order, each at
/// its cheapest position with "blinks" (positions skipped at random). Insertion costs are exact for the weighted
/// completion-time objective (Ngueveu, Prins & Wolfler Calvo 2010, https://doi.org/10.1016/j.cor.2009.06.014) and
/// evaluated from forward/backward route data with early termination (`CompiledProblem.insertionCost`), in the
/// spirit of the subsequence concatenation of Vidal, Crainic, Gendreau & Prins (2014),
/// https://doi.org/10.1016/j.ejor.2013.09.045. The temperature falls geometrically from T0 to Tf over the budget.
struct StringRemovalSearch {
    let context: SearchContext
    var rng: SplitMix64
    var scratch: InsertionScratch

    /// Average number of removed jobs (c̄ in the paper) and largest string length (L^max): the paper's 10 and 10,
    /// or 30 and 15 when routes average 10 visits or more (long routes need bigger ruins to change structure).
    static func removalScale(averageRouteCardinality: Double) -> (averageRemoved: Double, maximumStringLength: Double) {
        averageRouteCardinality >= 10 ? (30, 15) : (10, 10)
    }
    /// Probability of skipping a position during insertion (β).
    let blinkRate = 0.01
    /// Largest number of moves of a squeeze.
    let squeezeSteps = 20
    /// Simulated-annealing temperatures at the start and the end of a run, relative to the average cost per served
    /// job of its first solution.
    struct Temperatures {
        var initial: Double
        var final: Double

        /// For objectives with visit costs (weighted completion, lateness): a served job costs its weight times its
        /// completion time, far more than a move changes it.
        static let downtime = Temperatures(initial: 0.3, final: 0.003)
        /// For the travel-only objective, where a served job costs about one leg: the paper's T0 = 100 and Tf = 1
        /// on Solomon's distances, where a served job costs about 10. Against 1 and 0.01 (Solomon, 10 s, seeds 1
        /// and 2 side by side) the mean distance gap was +1.25 % and +1.69 % instead of +2.38 % and +1.69 %, with
        /// as many vehicles; the colder schedule left C205 or C206 at +17 to +25 % in some runs.
        static let travel = Temperatures(initial: 10, final: 0.1)
    }
    let temperatures: Temperatures

    init(context: SearchContext, seed: UInt64, temperatures: Temperatures) {
        self.context = context
        self.temperatures = temperatures
        rng = SplitMix64(seed: seed)
        scratch = InsertionScratch(routeCount: context.compiled.routeCount)
    }

    /// Runs the search from `start` while the overall progress (the larger of the elapsed time fraction and the
    /// iteration fraction) lies in `phase`; the temperature falls from T0 to Tf across the phase.
    /// - Parameters:
    ///   - start: the starting solution, priced with `context.compiled`.
    ///   - limits: the overall limits.
    ///   - phase: the part of the overall budget this run may use.
    ///   - firstIteration: iterations already done by earlier phases.
    ///   - rankingPenalties: when given, the best solution is the one with the least Σ of these penalties over its
    ///     unassigned jobs, then the least cost (the packing phase ranks by the real penalties).
    ///   - rankingTarget: the run stops as soon as the best solution's Σ of `rankingPenalties` reaches this value.
    ///   - onImprovement: called with the cost of each new best solution.
    /// - Returns: the best solution found and the overall iteration count at the end.
    /// - Complexity: per iteration O(removed × candidate routes × route length) insertion evaluations.
    mutating func run(from start: SearchSolution, limits: SearchLimits, phase: Range<Double> = 0..<1, firstIteration: Int = 0, rankingPenalties: [Double]? = nil, rankingTarget: Double = -.infinity,
                      onImprovement: ((Double) -> Void)? = nil) -> (best: SearchSolution, iterations: Int) {
        var current = start
        var best = start
        let rankedPenalty = { (solution: SearchSolution) in rankingPenalties.map { penalties in solution.unassigned.reduce(0) { $0 + penalties[$1] } } ?? 0 }
        var bestRankedPenalty = rankedPenalty(start)
        let scale = temperatureScale(of: start)
        let initialTemperature = temperatures.initial * scale
        let finalTemperature = temperatures.final * scale
        var iteration = firstIteration
        while bestRankedPenalty > rankingTarget {
            let progress = limits.progress(afterIterations: iteration)
            if progress >= phase.upperBound { break }
            iteration += 1
            var candidate = current
            let (pending, seed) = ruin(&candidate)
            if pending.isEmpty { continue }
            candidate.recreate(order(pending, seed: seed), context: context, scratch: &scratch, rng: &rng, blinkRate: blinkRate)
            if context.tracksDisruption && candidate.disruption(context: context) > context.disruptionBudget { continue }
            let phaseProgress = max(0, (progress - phase.lowerBound) / (phase.upperBound - phase.lowerBound))
            let temperature = initialTemperature * power(finalTemperature / initialTemperature, phaseProgress)
            let threshold = current.cost - temperature * naturalLogarithm(max(rng.nextUnit(), .leastNormalMagnitude))
            if candidate.cost < threshold {
                current = candidate
                let currentRankedPenalty = rankedPenalty(current)
                if currentRankedPenalty < bestRankedPenalty || (currentRankedPenalty == bestRankedPenalty && current.cost < best.cost - 1e-9 * abs(best.cost)) {
                    best = current
                    bestRankedPenalty = currentRankedPenalty
                    onImprovement?(best.cost)
                }
            }
        }
        return (best, iteration)
    }

    /// Fleet minimisation (Christiaens & Vanden Berghe 2020, §6): empties the route with the fewest jobs and serves
    /// its jobs again without opening empty routes (`serveUnassigned`); once every job fits, the next route goes. It
    /// stops at the lower bound of `CompiledProblem.routeLowerBound`, leaving the rest of its phase to the next one.
    /// - Parameter firstIteration: iterations already done by earlier phases.
    /// - Returns: the solution with the fewest routes that leaves out no more penalty than `start`, and the overall
    ///   iteration count at the end.
    mutating func minimizeRoutes(from start: SearchSolution, limits: SearchLimits, phase: Range<Double>, firstIteration: Int = 0) -> (best: SearchSolution, iterations: Int) {
        var best = start
        var current = start
        var iteration = firstIteration
        var absences = [Int](repeating: 0, count: context.compiled.jobCount)
        let target = unassignedPenalty(of: start)
        let served = (0..<context.compiled.jobCount).filter { start.routeOfJob[$0] >= 0 }
        let fewestRoutes = context.compiled.routeLowerBound(serving: served)
        while current.routes.count(where: { !$0.jobs.isEmpty }) > fewestRoutes && emptySmallestRoute(&current) {
            let outcome = serveUnassigned(from: current, limits: limits, phase: phase, firstIteration: iteration, absences: &absences, allowEmptyRoutes: false, poolMayGrow: true, squeezing: false, targetPenalty: target)
            iteration = outcome.iterations
            guard unassignedPenalty(of: outcome.best) <= target else { break }
            best = outcome.best
            current = outcome.best
        }
        return (best, iteration)
    }

    /// Serves as many jobs as possible, other costs only breaking ties. Each iteration takes a random unassigned
    /// job and tries a squeeze (`SearchSolution.insertBySqueeze`), else an ejection insertion
    /// (`SearchSolution.insertByEjection`, at most two ejected, which then try a plain insertion elsewhere), as in
    /// the route minimisation of Nagata & Bräysy (2009); then it ruins and recreates as in SISR's fleet
    /// minimisation (Christiaens & Vanden Berghe 2020, §6), the result replacing the current solution when it
    /// leaves out less penalty or, as much, jobs that were absent less often (absence counters count how often
    /// each job was left out).
    /// - Parameters:
    ///   - absences: absence counters, carried over between calls.
    ///   - allowEmptyRoutes: `false` while minimising the number of routes.
    ///   - poolMayGrow: whether an ejection insertion is kept when the ejected jobs outnumber the inserted one, as
    ///     in Nagata & Bräysy, where every job fits in the end. On an over-subscribed day the pool never empties
    ///     and keeps growing that way (`fs_n200_k20` ended with 6 jobs out instead of 4, `fs_n1000_k100` 24 instead
    ///     of 13-18).
    ///   - squeezing: whether to try squeezes. They decide the over-subscribed fs instances (each success serves
    ///     one more job) but cost tens of iterations each and mostly fail while removing Solomon routes, where
    ///     ejection insertion alone removed more vehicles (R1 class at 10 s: 3-4 above the best known against 5
    ///     with squeezes).
    ///   - targetPenalty: the run stops once the unassigned penalty is at most this.
    /// - Returns: the solution with the least unassigned penalty, then the least cost, and the overall iteration
    ///   count at the end.
    mutating func serveUnassigned(from start: SearchSolution, limits: SearchLimits, phase: Range<Double>, firstIteration: Int, absences: inout [Int], allowEmptyRoutes: Bool, poolMayGrow: Bool, squeezing: Bool, targetPenalty: Double) -> (best: SearchSolution, iterations: Int) {
        let absenceSum = { (solution: SearchSolution, absences: [Int]) in solution.unassigned.reduce(0) { $0 + absences[$1] } }
        var current = start
        var best = start
        var currentPenalty = unassignedPenalty(of: start)
        var bestPenalty = currentPenalty
        var iteration = firstIteration
        while bestPenalty > targetPenalty && limits.progress(afterIterations: iteration) < phase.upperBound {
            iteration += 1
            let job = current.unassigned[rng.nextIndex(current.unassigned.count)]
            absences[job] += 1
            var trial = current
            var changed = squeezing && trial.insertBySqueeze(job, context: context, allowEmptyRoutes: allowEmptyRoutes, maximumSteps: squeezeSteps, rng: &rng)
            if !changed, let ejected = trial.insertByEjection(job, context: context, absences: absences, maximumEjected: 2, allowEmptyRoutes: allowEmptyRoutes, rng: &rng) {
                trial.recreate(ejected, context: context, scratch: &scratch, rng: &rng, blinkRate: 0, allowEmptyRoutes: allowEmptyRoutes)
                changed = true
            }
            if changed {
                if (poolMayGrow || trial.unassigned.count <= current.unassigned.count) && (!context.tracksDisruption || trial.disruption(context: context) <= context.disruptionBudget) {
                    current = trial
                    currentPenalty = unassignedPenalty(of: current)
                }
            }
            var candidate = current
            let (pending, seed) = ruin(&candidate, retryingAll: true)
            if !pending.isEmpty {
                candidate.recreate(order(pending, seed: seed), context: context, scratch: &scratch, rng: &rng, blinkRate: blinkRate, allowEmptyRoutes: allowEmptyRoutes)
                let candidatePenalty = unassignedPenalty(of: candidate)
                if (candidatePenalty < currentPenalty || (candidatePenalty == currentPenalty && absenceSum(candidate, absences) < absenceSum(current, absences)))
                    && (!context.tracksDisruption || candidate.disruption(context: context) <= context.disruptionBudget) {
                    current = candidate
                    currentPenalty = candidatePenalty
                }
                for job in candidate.unassigned { absences[job] += 1 }
            }
            if currentPenalty < bestPenalty || (currentPenalty == bestPenalty && current.cost < best.cost) {
                best = current
                bestPenalty = currentPenalty
            }
            if current.unassigned.isEmpty { break }
        }
        return (best, iteration)
    }

    /// Σ penalty of the unassigned jobs of `solution`, summed in ascending job order so that equal sets give equal
    /// sums.
    private func unassignedPenalty(of solution: SearchSolution) -> Double {
        solution.unassigned.sorted().reduce(0) { $0 + context.compiled.jobPenalty[$1] }
    }

    /// Unassigns every job of the non-empty route with the fewest movable jobs.
    /// - Returns: `false` when no route can be emptied.
    private mutating func emptySmallestRoute(_ solution: inout SearchSolution) -> Bool {
        let compiled = context.compiled
        var chosen = -1
        for (route, state) in solution.routes.enumerated() where !state.jobs.isEmpty && state.lockedPrefix == 0 && !state.jobs.contains(where: { context.isFixed[$0] }) {
            if chosen < 0 || state.jobs.count < solution.routes[chosen].jobs.count { chosen = route }
        }
        guard chosen >= 0 else { return false }
        let jobs = solution.routes[chosen].jobs
        solution.replaceRoute(chosen, with: RouteState())
        for job in jobs {
            solution.routeOfJob[job] = -1
            solution.cost += compiled.jobPenalty[job]
        }
        solution.unassigned.append(contentsOf: jobs)
        return true
    }

    /// Average cost per served job, excluding fixed route costs, of `solution`; at least 1.
    private func temperatureScale(of solution: SearchSolution) -> Double {
        let compiled = context.compiled
        var routed = 0.0, served = 0
        for state in solution.routes where !state.jobs.isEmpty {
            routed += state.cost - compiled.fixedCostPerRoute
            served += state.jobs.count
        }
        return max(1, routed / Double(max(1, served)))
    }

    /// Removes strings from up to k_s routes near a random seed job (Christiaens & Vanden Berghe 2020, §5.1).
    /// - Returns: the removed jobs plus unassigned jobs worth retrying (near the seed, or drawn at random).
    private mutating func ruin(_ solution: inout SearchSolution, retryingAll: Bool = false) -> (pending: [Int], seed: Int) {
        let compiled = context.compiled
        let assignedCount = compiled.jobCount - solution.unassigned.count
        guard assignedCount > 0 else { return (solution.unassigned, 0) }
        var usedRoutes = 0
        for state in solution.routes where !state.jobs.isEmpty { usedRoutes += 1 }
        let cardinality = Double(assignedCount) / Double(max(1, usedRoutes))
        let (averageRemoved, maximumStringLength) = Self.removalScale(averageRouteCardinality: cardinality)
        let stringLengthLimit = min(maximumStringLength, cardinality)
        let stringCountLimit = 4 * averageRemoved / (1 + stringLengthLimit) - 1
        let stringCount = Int(rng.nextUnit() * stringCountLimit) + 1

        var seed = -1
        for _ in 0..<8 {
            let job = rng.nextIndex(compiled.jobCount)
            if solution.routeOfJob[job] >= 0 && !context.isFixed[job] { seed = job; break }
        }
        guard seed >= 0 else { return (solution.unassigned, 0) }

        var removed: [Int] = []
        var retried: [Int] = []
        var ruinedRoutes: [Int] = []
        for job in [seed] + context.neighbours[seed] {
            if ruinedRoutes.count >= stringCount { break }
            let route = solution.routeOfJob[job]
            if route < 0 {
                if !removed.contains(job) { retried.append(job) }
                continue
            }
            if context.isFixed[job] || ruinedRoutes.contains(route) { continue }
            ruinedRoutes.append(route)
            removeString(around: job, route: route, lengthLimit: stringLengthLimit, solution: &solution, removed: &removed)
        }
        let retryProbability = retryingAll ? 1 : min(1, 4 / Double(max(1, solution.unassigned.count)))
        for job in solution.unassigned where !removed.contains(job) && !retried.contains(job) && rng.nextUnit() < retryProbability {
            retried.append(job)
        }
        solution.unassigned.append(contentsOf: removed)
        return (removed + retried, seed)
    }

    /// Removes a string (or, with probability 1/2, a split string with a preserved middle part) containing `job`.
    private mutating func removeString(around job: Int, route: Int, lengthLimit: Double, solution: inout SearchSolution, removed: inout [Int]) {
        let compiled = context.compiled
        let state = solution.routes[route]
        guard let (kept, taken) = stringRemoval(from: state.jobs, lockedPrefix: state.lockedPrefix, around: job,
                                                lengthLimit: lengthLimit, isFixed: context.isFixed, rng: &rng) else { return }
        guard let rebuilt = compiled.buildRoute(route, jobs: kept, lockedPrefix: state.lockedPrefix) else { return }
        solution.replaceRoute(route, with: rebuilt)
        for job in taken {
            solution.routeOfJob[job] = -1
            solution.cost += compiled.jobPenalty[job]
        }
        removed.append(contentsOf: taken)
    }

    /// Insertion order (Christiaens & Vanden Berghe 2020, §5.2, with downtime weight in place of demand):
    /// random (weight 4), most urgent first (4), farthest from the seed job first (2), closest first (1).
    private mutating func order(_ jobs: [Int], seed: Int) -> [Int] {
        let compiled = context.compiled
        var ordered = jobs
        ordered.shuffle(using: &rng)
        let draw = rng.nextIndex(11)
        if draw < 4 { return ordered }
        if draw < 8 {
            let urgency = { (job: Int) in compiled.jobCompletionWeight[job] + compiled.jobPenalty[job] * 1e-9 }
            ordered.sort { urgency($0) > urgency($1) }
            return ordered
        }
        let anchor = compiled.jobNode[seed]
        let distance = { (job: Int) in compiled.travel.time(anchor, compiled.jobNode[job]) }
        if draw < 10 {
            ordered.sort { distance($0) > distance($1) }
        } else {
            ordered.sort { distance($0) < distance($1) }
        }
        return ordered
    }
}

/// The visits a string removal takes from a route (Christiaens & Vanden Berghe 2020, §5.1): a string of at most
/// `lengthLimit` visits containing `job` or, with probability 1/2, a split string whose middle part is kept; pinned
/// and frozen visits (`isFixed`) and the locked prefix always stay.
/// - Returns: The visits kept, in route order, and those taken; `nil` when none can be taken.
func stringRemoval(
    from jobs: [Int], lockedPrefix: Int, around job: Int, lengthLimit: Double, isFixed: [Bool], rng: inout SplitMix64
) -> (kept: [Int], taken: [Int])? {
    let free = jobs.count - lockedPrefix
    guard free > 0, let position = jobs.firstIndex(of: job), position >= lockedPrefix else { return nil }
    let length = Int(rng.nextUnit() * min(Double(free), lengthLimit)) + 1
    var preserved = 0
    if length < free && rng.nextUnit() < 0.5 {
        preserved = 1
        while length + preserved < free && rng.nextUnit() < 0.5 { preserved += 1 }
    }
    let span = length + preserved
    let lowest = max(lockedPrefix, position - span + 1)
    let highest = min(position, jobs.count - span)
    let first = lowest + rng.nextIndex(highest - lowest + 1)
    let keepFrom = first + (preserved > 0 ? 1 + rng.nextIndex(max(1, length - 1)) : span)
    var kept: [Int] = Array(jobs[..<first])
    var taken: [Int] = []
    for index in first..<(first + span) {
        let candidate = jobs[index]
        if (index >= keepFrom && index < keepFrom + preserved) || isFixed[candidate] {
            kept.append(candidate)
        } else {
            taken.append(candidate)
        }
    }
    kept.append(contentsOf: jobs[(first + span)...])
    return taken.isEmpty ? nil : (kept, taken)
}
