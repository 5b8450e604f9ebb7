import DequeModule
import Logging
import Synchronization

/// A bounded pool of connections.
///
/// - A caller waits at most `leaseTimeout` for a connection, then gets ``PGError/Kind/poolTimeout``.
/// - Connections that broke, or that come back inside a transaction, are closed and replaced on demand, so the
///   pool recovers by itself after a database restart or `pg_terminate_backend`.
/// - Each connection has a thread of its own for its blocking libpq calls; a lease runs its body there.
public final class PGPool: Sendable {
    /// Pool limits.
    public struct Options: Sendable {
        /// Most connections open at once.
        public var maxConnections: Int
        /// Longest a caller waits for a free connection.
        public var leaseTimeout: Duration

        /// Creates options.
        public init(maxConnections: Int = 10, leaseTimeout: Duration = .seconds(2)) {
            precondition(maxConnections > 0, "maxConnections must be positive")
            self.maxConnections = maxConnections
            self.leaseTimeout = leaseTimeout
        }
    }

    /// What a waiting caller is handed.
    private enum Handover {
        /// A released connection.
        case connection(PGConnection)
        /// A free slot: open a new connection in it.
        case slot
        /// Something became free while the caller was registering as a waiter: decide again.
        case retry
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Handover, any Error>
    }

    private struct State {
        var idle: [PGConnection] = []
        /// Connections open or being opened, idle or leased.
        var open = 0
        var waiters: Deque<Waiter> = []
        var nextWaiterID: UInt64 = 0
        var isClosed = false
        /// Callers that waited for a connection, and those that gave up after the lease timeout, since the start.
        var waits = 0
        var timeouts = 0
    }

    /// Where connections go.
    public let configuration: PGConnectionConfiguration
    /// The pool's limits.
    public let options: Options
    private let state = Mutex(State())
    private let logger: Logger

    /// Creates a pool; connections are opened lazily.
    /// - Parameters:
    ///   - configuration: Where to connect.
    ///   - options: Size and lease timeout.
    ///   - logger: Receives pool events at `.debug` and below.
    public init(configuration: PGConnectionConfiguration, options: Options = Options(), logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// Lends a connection to `body` and takes it back afterwards.
    ///
    /// `body` runs on the connection's own thread (a task executor preference, inherited by child tasks), so its
    /// statements cost no thread hop. While a statement runs, that thread is busy: a child task of `body` that
    /// must make progress meanwhile (a timer, a canceller) should run elsewhere, e.g.
    /// `Task(executorPreference: globalConcurrentExecutor)`; statement time limits belong on the server
    /// (`statement_timeout`).
    /// - Parameter body: The work; it must not keep the connection.
    /// - Returns: What `body` returned.
    /// - Throws: ``PGError`` (`poolTimeout`, `connectionFailed`, …) or what `body` threw.
    public func withConnection<Result>(_ body: (PGConnection) async throws -> Result) async throws -> Result {
        let connection = try await lease()
        do {
            let result = try await connection.onItsThread(body)
            await release(connection)
            return result
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection, retrying the whole transaction on serialization
    /// failures and deadlocks (40001, 40P01) up to `maxAttempts` times in all.
    /// - Parameters:
    ///   - isolation: The isolation level.
    ///   - readOnly: Starts a `READ ONLY` transaction.
    ///   - maxAttempts: Total attempts; 1 means no retry.
    ///   - body: The work; it may run more than once, so it must have no effects outside the transaction.
    @discardableResult
    public func withTransaction<Result>(
        isolation: PGIsolationLevel = .readCommitted,
        readOnly: Bool = false,
        maxAttempts: Int = 1,
        _ body: (PGConnection) async throws -> Result
    ) async throws -> Result {
        try await retryingTransaction(maxAttempts: maxAttempts, logger: logger) {
            try await withConnection { connection in
                try await connection.withTransaction(isolation: isolation, readOnly: readOnly, body)
            }
        }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func query(_ query: PGQuery) async throws -> PGRows {
        try await withConnection { try await $0.query(query) }
    }

    /// Closes idle connections, fails waiters and refuses new leases; leased connections close when returned.
    public func shutdown() async {
        let (idle, waiters) = state.withLock { state in
            state.isClosed = true
            defer {
                state.open -= state.idle.count
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: PGError(kind: .poolClosed, message: "pool closed")) }
        for connection in idle { await connection.close() }
    }

    /// Connections open right now (idle or leased).
    public var openConnections: Int { state.withLock { $0.open } }

    /// The pool's state for monitoring.
    public struct Statistics: Sendable, Equatable {
        /// Connections open, idle or leased.
        public let open: Int
        /// Connections leased to a caller.
        public let inUse: Int
        /// Callers waiting for a connection now.
        public let waiting: Int
        /// Callers that had to wait, since the pool started.
        public let waits: Int
        /// Callers that gave up after the lease timeout, since the pool started.
        public let timeouts: Int
    }

    /// A snapshot of the pool's state.
    public var statistics: Statistics {
        state.withLock { state in
            Statistics(open: state.open, inUse: state.open - state.idle.count, waiting: state.waiters.count,
                       waits: state.waits, timeouts: state.timeouts)
        }
    }

    // MARK: Leasing

    private enum LeaseDecision {
        case reuse(PGConnection)
        case open
        case wait(UInt64)
        case closed
    }

    private func lease() async throws -> PGConnection {
        while true {
            var stale: [PGConnection] = []
            let decision = state.withLock { state -> LeaseDecision in
                if state.isClosed { return .closed }
                while let connection = state.idle.popLast() {
                    if connection.isReusable { return .reuse(connection) }
                    stale.append(connection)
                    state.open -= 1
                }
                if state.open < options.maxConnections {
                    state.open += 1
                    return .open
                }
                state.nextWaiterID += 1
                return .wait(state.nextWaiterID)
            }
            for connection in stale {
                logger.debug("database connection discarded", metadata: ["db.reason": "broken while idle"])
                await connection.close()
            }
            switch decision {
            case .closed:
                throw PGError(kind: .poolClosed, message: "pool closed")
            case .reuse(let connection):
                return connection
            case .open:
                return try await openConnection()
            case .wait(let id):
                switch try await waitForRelease(id: id) {
                case .connection(let connection): return connection
                case .slot: return try await openConnection()
                case .retry: continue
                }
            }
        }
    }

    private func openConnection() async throws -> PGConnection {
        do {
            return try await PGConnection.connect(configuration: configuration, logger: logger)
        } catch {
            releaseSlot()
            throw error
        }
    }

    /// Waits for a released connection or a free slot until the lease timeout.
    private func waitForRelease(id: UInt64) async throws -> Handover {
        let timeout = options.leaseTimeout
        return try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Handover?.self) { group in
                group.addTask {
                    let handover: Handover = try await withCheckedThrowingContinuation { continuation in
                        enum Registration { case waiting, closed, retry }
                        let registration = self.state.withLock { state -> Registration in
                            if state.isClosed { return .closed }
                            if !state.idle.isEmpty || state.open < self.options.maxConnections { return .retry }
                            state.waiters.append(Waiter(id: id, continuation: continuation))
                            state.waits += 1
                            return .waiting
                        }
                        switch registration {
                        case .waiting: break
                        case .closed: continuation.resume(throwing: PGError(kind: .poolClosed, message: "pool closed"))
                        case .retry: continuation.resume(returning: .retry)
                        }
                    }
                    return handover
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    self.failWaiter(id: id, with: PGError(
                        kind: .poolTimeout,
                        message: "no database connection free within \(timeout) (pool of \(self.options.maxConnections))"
                    ))
                    return nil
                }
                // Only the waiter child returns a handover; the timer child resumes the waiter with an error instead.
                while let next = try await group.next() {
                    if let handover = next {
                        group.cancelAll()
                        return handover
                    }
                }
                throw CancellationError()
            }
        } onCancel: {
            failWaiter(id: id, with: CancellationError())
        }
    }

    private func failWaiter(id: UInt64, with error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            if (error as? PGError)?.kind == .poolTimeout { state.timeouts += 1 }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    private func release(_ connection: PGConnection) async {
        guard connection.isReusable else {
            logger.debug("database connection discarded", metadata: ["db.reason": "broken or inside a transaction"])
            await connection.close()
            releaseSlot()
            return
        }
        let action = state.withLock { state -> (Waiter?, Bool) in
            if state.isClosed {
                state.open -= 1
                return (nil, true)
            }
            if let waiter = state.waiters.popFirst() { return (waiter, false) }
            state.idle.append(connection)
            return (nil, false)
        }
        if let waiter = action.0 {
            waiter.continuation.resume(returning: .connection(connection))
        } else if action.1 {
            await connection.close()
        }
    }

    /// Gives up a connection's slot: a waiter may open a new connection in it.
    private func releaseSlot() {
        let waiter = state.withLock { state -> Waiter? in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .slot)
    }
}

/// Runs `attempt` until it succeeds, retrying serialization failures (40001) and deadlocks (40P01) at most
/// `maxAttempts` times in all, with a short growing, jittered pause between tries.
/// - Throws: The last error once the attempts are used up, or at once for any other error.
public func retryingTransaction<Result>(
    maxAttempts: Int,
    logger: Logger,
    _ attempt: () async throws -> Result
) async throws -> Result {
    var attemptNumber = 1
    while true {
        do {
            return try await attempt()
        } catch let error as PGError where error.isTransactionRetryable && attemptNumber < maxAttempts {
            logger.debug("transaction retried", metadata: [
                "db.sqlstate": "\(error.sqlState?.rawValue ?? "")", "db.attempt": "\(attemptNumber)",
            ])
            // Growing, and jittered so that the transactions that deadlocked do not meet again in step.
            try await Task.sleep(for: .milliseconds(Int.random(in: 2...8) * attemptNumber * attemptNumber))
            attemptNumber += 1
        }
    }
}
