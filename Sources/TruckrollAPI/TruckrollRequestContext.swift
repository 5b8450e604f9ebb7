import Hummingbird
import TruckrollDomain

/// The request context of every Truckroll route: Hummingbird's core plus the authenticated caller.
public struct TruckrollRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller, once ``AuthenticationMiddleware`` has checked the token.
    public var principal: Principal?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Request bodies above 1 MiB are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }

    /// The caller; routes behind the authentication middleware always have one.
    /// - Throws: A 401 ``Problem`` otherwise.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw Problem.unauthenticated("send an API token: Authorization: Bearer <token>") }
        return principal
    }
}
