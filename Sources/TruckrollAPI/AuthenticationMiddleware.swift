import HTTPTypes
import Hummingbird
import Logging
import TruckrollDomain
import TruckrollStore

/// Checks `Authorization: Bearer <token>` and puts the caller in the context; anything else is a 401 problem.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = TruckrollRequestContext

    let access: AccessStore

    public init(access: AccessStore) {
        self.access = access
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthenticated("send an API token: Authorization: Bearer <token>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty, parts[1].count <= 200 else {
            throw Problem.unauthenticated("the Authorization header must be: Bearer <token>")
        }
        guard let principal = try await access.authenticate(TokenSecret(value: String(parts[1]))) else {
            throw Problem.unauthenticated("the token is unknown, expired or revoked, or its user is disabled")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "user"] = "\(principal.userID)"
        return try await next(request, context)
    }
}
