import HTTPTypes
import Hummingbird
import Synchronization

/// A rate per API token: a token bucket holding at most `burst` requests, refilled at `perSecond`.
public struct RateLimit: Sendable, Equatable {
    /// Requests per second a token may keep up.
    public var perSecond: Double
    /// Requests a token may send at once after a quiet spell.
    public var burst: Int

    /// Creates a limit.
    /// - Parameters:
    ///   - perSecond: The sustained rate; positive.
    ///   - burst: The bucket size; at least 1.
    public init(perSecond: Double, burst: Int) {
        precondition(perSecond > 0 && burst >= 1, "a rate limit needs a positive rate and a burst of at least 1")
        self.perSecond = perSecond
        self.burst = burst
    }
}

/// Answers 429 with `Retry-After` and a problem when a bearer token sends more than its ``RateLimit``.
///
/// It runs before authentication, keyed by the `Authorization` header, so that a flood costs no database lookup;
/// requests without the header pass (authentication refuses them). Buckets live in memory, per process: behind
/// several API processes each one counts its own share.
public struct RateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    private let limiter: TokenBucketLimiter

    /// Creates the middleware.
    /// - Parameter limit: The rate and burst each token gets.
    public init(limit: RateLimit) {
        limiter = TokenBucketLimiter(limit: limit)
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let credentials = request.headers[.authorization] else { return try await next(request, context) }
        if let wait = limiter.admit(credentials, at: .now) {
            throw Problem.tooManyRequests(retryAfterSeconds: max(1, Int(wait.rounded(.up))), limit: limiter.limit)
        }
        return try await next(request, context)
    }
}

/// Token buckets by key, in memory.
final class TokenBucketLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// Buckets kept before full ones are forgotten (a full bucket is the same as none).
    private static let pruneThreshold = 10_000

    let limit: RateLimit
    private let buckets = Mutex<[String: Bucket]>([:])

    init(limit: RateLimit) {
        self.limit = limit
    }

    /// Takes one request from `key`'s bucket.
    /// - Returns: `nil` when admitted; otherwise the seconds until the bucket holds a request again.
    func admit(_ key: String, at now: ContinuousClock.Instant) -> Double? {
        let limit = limit
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: Double(limit.burst), updated: now)
            let elapsed = max(0, (now - bucket.updated) / .seconds(1))
            bucket.tokens = min(Double(limit.burst), bucket.tokens + elapsed * limit.perSecond)
            bucket.updated = now
            if buckets.count >= Self.pruneThreshold, buckets[key] == nil {
                buckets = buckets.filter { _, other in
                    other.tokens + (now - other.updated) / .seconds(1) * limit.perSecond < Double(limit.burst)
                }
            }
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return (1 - bucket.tokens) / limit.perSecond
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            return nil
        }
    }
}
