extension SearchSolution {
    /// Steepest relocation descent applied to the final plan: each job moves to its cheapest position in any
    /// route (including its own) while that lowers the total cost, so that no single relocation improves the
    /// returned plan (which the explanations rely on).
    /// - Complexity: O(passes × jobs × candidate routes × route length) insertion evaluations.
    mutating func relocateDescent(context: SearchContext, maximumPasses: Int = 20) {
        let compiled = context.compiled
        var scratch = InsertionScratch(routeCount: compiled.routeCount)
        var rng = SplitMix64(seed: 0)
        for _ in 0..<maximumPasses {
            var improved = false
            for job in 0..<compiled.jobCount where routeOfJob[job] >= 0 && !context.isFixed[job] {
                let route = routeOfJob[job]
                let state = routes[route]
                guard let position = state.jobs.firstIndex(of: job), position >= state.lockedPrefix else { continue }
                var remaining = state.jobs
                remaining.remove(at: position)
                guard let reduced = compiled.buildRoute(route, jobs: remaining, lockedPrefix: state.lockedPrefix) else { continue }
                let saving = state.cost - reduced.cost
                var trial = self
                trial.replaceRoute(route, with: reduced)
                trial.routeOfJob[job] = -1
                trial.cost += compiled.jobPenalty[job]
                guard let choice = trial.bestInsertion(of: job, context: context, scratch: &scratch, rng: &rng, blinkRate: 0),
                      choice.delta < saving - 1e-9 * max(1, abs(cost)),
                      trial.insert(job, at: choice, compiled: compiled)
                else { continue }
                if context.tracksDisruption && trial.disruption(context: context) > context.disruptionBudget { continue }
                self = trial
                improved = true
            }
            if !improved { return }
        }
    }
}
