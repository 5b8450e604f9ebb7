import Hummingbird
import Synchronization

/// Keeps requests to any one resource (`/v1/visits`, `/v1/rmas`, …: the first segment of the matched route under
/// `/v1`) from holding more than `limit` of the pool's connections at once; further requests to it wait their turn
/// without a connection (bounded by the request deadline), so that a stuck table or a crowd on one endpoint cannot
/// take every connection from the others (a bulkhead).
///
/// Add it to the `/v1` group before authentication, which already takes a connection.
public struct ResourceConcurrencyMiddleware<Context: RequestContext>: RouterMiddleware {
    private let limiters: ConcurrencyLimiters

    /// Creates the middleware.
    /// - Parameter poolSize: The connections of the pool; a quarter of them (at least one) stays for other resources.
    public init(poolSize: Int) {
        limiters = ConcurrencyLimiters(limit: max(1, poolSize - max(1, poolSize / 4)))
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // The matched route's template, so that the keys are bounded by the route table whatever paths arrive.
        let resource = (context.endpointPath ?? "").split(separator: "/").prefix(2).joined(separator: "/")
        return try await limiters.limiter(for: resource).withSlot { try await next(request, context) }
    }
}

/// One ``ConcurrencyLimiter`` per key, made on first use.
final class ConcurrencyLimiters: Sendable {
    private let limit: Int
    private let limiters = Mutex<[String: ConcurrencyLimiter]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    func limiter(for key: String) -> ConcurrencyLimiter {
        limiters.withLock { limiters in
            if let limiter = limiters[key] { return limiter }
            let limiter = ConcurrencyLimiter(limit: limit)
            limiters[key] = limiter
            return limiter
        }
    }
}

/// At most `limit` callers inside at once; the others wait in arrival order and leave the queue when cancelled.
final class ConcurrencyLimiter: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var inside = 0
        var waiters: [Waiter] = []
        /// Callers that found no slot and have not been let in or cancelled yet (queued or about to queue).
        var pending: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Callers inside now.
    var inside: Int { state.withLock { $0.inside } }

    /// Runs `body` once a slot is free.
    /// - Throws: `CancellationError` when the task is cancelled while waiting, or what `body` threw.
    func withSlot<Result>(_ body: () async throws -> Result) async throws -> Result {
        try await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async throws {
        let queued: UInt64? = state.withLock { state in
            if state.inside < limit {
                state.inside += 1
                return nil
            }
            state.nextID += 1
            state.pending.insert(state.nextID)
            return state.nextID
        }
        guard let id = queued else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state in
                    guard state.pending.contains(id) else { return true }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard state.pending.remove(id) != nil else { return nil }  // already let in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }  // not queued yet
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Hands the slot to the first waiter, or frees it.
    private func leave() {
        let next = state.withLock { state -> Waiter? in
            guard !state.waiters.isEmpty else {
                state.inside -= 1
                return nil
            }
            let waiter = state.waiters.removeFirst()
            state.pending.remove(waiter.id)
            return waiter
        }
        next?.continuation.resume()
    }
}
