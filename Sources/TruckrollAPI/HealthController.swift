import Hummingbird

/// `GET /health`, `/health/ready`, `/health/live`: whether the service and its database are up.
public struct HealthController<Context: RequestContext>: Sendable {
    /// Health as reported to load balancers and operators.
    public struct Report: ResponseEncodable, Equatable {
        /// `ok` or `unavailable`.
        public var status: String
        /// `reachable` or `unreachable`.
        public var database: String
    }

    private let databaseIsReachable: @Sendable () async -> Bool

    /// Creates the controller.
    /// - Parameter databaseIsReachable: Runs a trivial query within a short deadline.
    public init(databaseIsReachable: @escaping @Sendable () async -> Bool) {
        self.databaseIsReachable = databaseIsReachable
    }

    /// Adds the routes: `/health` and `/health/ready` (the database answers: take traffic), `/health/live` (the
    /// process answers: do not restart it, even while the database is away).
    public func addRoutes(to router: Router<Context>) {
        for path in ["/health", "/health/ready"] {
            router.get(RouterPath(path)) { _, _ -> EditedResponse<Report> in
                if await databaseIsReachable() {
                    return EditedResponse(status: .ok, response: Report(status: "ok", database: "reachable"))
                }
                return EditedResponse(status: .serviceUnavailable, response: Report(status: "unavailable", database: "unreachable"))
            }
        }
        router.get("/health/live") { _, _ in Report(status: "ok", database: "not checked") }
    }
}
