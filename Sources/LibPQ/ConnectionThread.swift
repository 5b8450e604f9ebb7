import DequeModule
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The thread that runs one connection's blocking libpq calls, usable as a task executor.
///
/// Code that prefers this executor (``PGConnection/withConnection(configuration:logger:_:)`` and
/// ``PGPool/withConnection(_:)`` set the preference around their body) runs on the connection's own thread, so
/// each statement is a direct blocking call there: no thread hop per statement, and never a blocking call on
/// Swift's cooperative pool. Callers without the preference (e.g. actor-isolated code) hop here once per call.
final class ConnectionThread: TaskExecutor, @unchecked Sendable {
    // @unchecked: `queue` and `stopping` are only touched while holding `condition`; `thread` is written once by
    // `pthread_create` before any other thread can see this object.
    private enum Work {
        case job(UnownedJob)
        case closure(() -> Void)
    }

    private let condition = ConditionLock(value: false)
    private var queue: Deque<Work> = []
    private var stopping = false
    private var thread = pthread_t()

    init() {
        let box = Unmanaged.passRetained(self)
        let created = pthread_create(&thread, nil, { argument in
            let executor = Unmanaged<ConnectionThread>.fromOpaque(argument!).takeRetainedValue()
            executor.runLoop()
            return nil
        }, box.toOpaque())
        precondition(created == 0, "cannot create a database connection thread (errno \(created))")
        pthread_detach(thread)
    }

    /// Whether the caller is running on this thread.
    var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    func enqueue(_ job: consuming ExecutorJob) {
        push(.job(UnownedJob(job)))
    }

    /// Runs `body` on this thread: directly when already there, otherwise by hopping here and back.
    func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        if isCurrent { return try body() }
        return try await withCheckedThrowingContinuation { continuation in
            push(.closure { continuation.resume(with: Result { try body() }) })
        }
    }

    /// Lets the thread finish the work already queued, then end.
    func stop() {
        condition.lock()
        stopping = true
        condition.unlock(withValue: true)
    }

    private func push(_ work: Work) {
        condition.lock()
        queue.append(work)
        condition.unlock(withValue: true)
    }

    private func runLoop() {
        while true {
            condition.lock(whenValue: true)
            guard let work = queue.popFirst() else {
                // Woken with nothing queued: only `stop()` does that.
                condition.unlock(withValue: false)
                return
            }
            condition.unlock(withValue: !queue.isEmpty || stopping)
            switch work {
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            case .closure(let body): body()
            }
        }
    }
}
