#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Where parallel searches meet once, partway through the search through infeasible plans, and each goes on from
/// the best plan any of them holds then (least ranked penalty, then least cost, then lowest search index), so that
/// the rest of the budget is spent on the most promising start rather than on a trajectory already behind. Every
/// search offers exactly once: at the meeting point, waiting for the others, or when it ends before it (without
/// waiting), so that nobody waits for a search that has gone; one that gets no thread of its own withdraws instead.
/// The result depends only on what is offered, so runs stay deterministic for a given seed and iteration limit.
final class PlanExchange: Sendable {
    private struct Offer: Sendable {
        let search: Int
        let plan: SearchSolution
        let ranked: Double
    }

    private struct State {
        var offers: [Offer] = []
        /// Searches that will not come (run without meeting the others).
        var withdrawn = 0
    }

    private let searches: Int
    private let state = Mutex(State())

    /// An exchange for `searches` searches.
    init(searches: Int) {
        self.searches = searches
    }

    /// Offers `plan` and, when `waiting`, returns the best plan offered once every search has offered or withdrawn
    /// (`nil` when it is `plan` itself). Searches run on threads of their own, so the wait (a millisecond at a time)
    /// blocks no task.
    func offer(_ plan: SearchSolution, ranked: Double, search: Int, waiting: Bool) -> SearchSolution? {
        state.withLock { $0.offers.append(Offer(search: search, plan: plan, ranked: ranked)) }
        guard waiting else { return nil }
        var all = state.withLock { $0 }
        while all.offers.count + all.withdrawn < searches {
            usleep(1_000)
            all = state.withLock { $0 }
        }
        let best = all.offers.min { a, b in (a.ranked, a.plan.cost, a.search) < (b.ranked, b.plan.cost, b.search) }!
        return best.search == search ? nil : best.plan
    }

    /// Tells the others not to wait for a search that runs without meeting them.
    func withdraw() {
        state.withLock { $0.withdrawn += 1 }
    }
}
