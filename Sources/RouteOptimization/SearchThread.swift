#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `work` on a thread of its own and resumes the caller with its result. A search is seconds of uninterrupted
/// CPU work; on Swift's cooperative pool (one thread per core) it would hold a pool thread all that time, and two
/// searches on a two-core machine would stall every other task of the process (HTTP handlers, database leases,
/// timers) until they end.
///
/// When no thread can be had (resource limits), `fallback` runs on the caller's thread instead of failing; it must not
/// wait for other work that may need that thread.
func onThreadOfItsOwn<Value: Sendable>(
    _ work: @escaping @Sendable () -> Value, otherwise fallback: (() -> Value)? = nil
) async -> Value {
    await withCheckedContinuation { continuation in
        let job = Unmanaged.passRetained(ThreadJob { continuation.resume(returning: work()) })
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { argument in
            Unmanaged<ThreadJob>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, job.toOpaque())
        if created == 0 {
            pthread_detach(thread)
        } else {
            job.release()
            continuation.resume(returning: (fallback ?? work)())
        }
    }
}

/// The work handed to a new thread.
private final class ThreadJob: Sendable {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}
