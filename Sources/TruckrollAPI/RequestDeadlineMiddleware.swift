import Hummingbird

/// Bounds how long a request may take: past `timeout` its work is cancelled and the client gets a 503 problem with
/// `Retry-After`, instead of waiting for a database that is stuck behind a lock or not answering.
///
/// Cancelling the work cancels what it waits for: a database statement in flight is cancelled on the server
/// (libpq's `PQcancel`), a wait for a pooled connection ends at once. The answer leaves when the work has stopped,
/// which is at once in practice; only a connection attempt cannot be interrupted, and libpq's `connect_timeout`
/// bounds it.
public struct RequestDeadlineMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The longest a request may take.
    public let timeout: Duration

    /// Creates the middleware.
    /// - Parameter timeout: The longest a request may take.
    public init(timeout: Duration) {
        self.timeout = timeout
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let timeout = timeout
        return try await withoutActuallyEscaping(next) { next in
            // The group waits for both children before it returns, so `next` does not outlive this call.
            nonisolated(unsafe) let handler = next
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await handler(request, context) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    throw Problem.timedOut(
                        "the request did not finish within \(timeout.formattedSeconds) s (the database is slow or busy); retry shortly"
                    )
                }
                return response
            }
        }
    }
}

extension Duration {
    /// Whole seconds, or seconds with up to three decimals: `5`, `0.25`.
    var formattedSeconds: String {
        let milliseconds = Int(self / .milliseconds(1))
        if milliseconds % 1000 == 0 { return String(milliseconds / 1000) }
        var text = String(Double(milliseconds) / 1000)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
