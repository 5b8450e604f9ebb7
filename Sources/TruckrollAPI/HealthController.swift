import Hummingbird

/// `GET /health`: whether the service and its database are up.
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

    /// Adds the route.
    public func addRoutes(to router: Router<Context>) {
        router.get("/health") { _, _ -> EditedResponse<Report> in
            if await databaseIsReachable() {
                return EditedResponse(status: .ok, response: Report(status: "ok", database: "reachable"))
            }
            return EditedResponse(status: .serviceUnavailable, response: Report(status: "unavailable", database: "unreachable"))
        }
    }
}
