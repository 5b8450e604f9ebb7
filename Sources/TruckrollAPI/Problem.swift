import FoundationEssentials
import HTTPTypes
import Hummingbird
import NIOCore
import TruckrollDomain

/// An RFC 9457 problem: the one shape every API error takes on the wire (`application/problem+json`).
public struct Problem: Error, HTTPResponseError, Sendable, Codable, Equatable {
    /// One field at fault in a request.
    public struct FieldError: Sendable, Codable, Equatable {
        /// JSON path or parameter name, e.g. `visit.planned_start`.
        public var field: String
        /// What is wrong with it.
        public var message: String

        /// Creates a field error.
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    /// A stable URI naming the kind of problem.
    public var type: String
    /// A short, stable summary of the kind.
    public var title: String
    /// The HTTP status code.
    public var statusCode: Int
    /// What went wrong in this occurrence.
    public var detail: String?
    /// The request id, for matching a report with the logs.
    public var instance: String?
    /// Fields at fault, for validation problems.
    public var errors: [FieldError]?
    /// The resource as it is now, when a write was refused because the client's copy is stale (412).
    public var current: JSONValue?
    /// The statuses that are legal next, when a transition was refused (409).
    public var allowed: [String]?
    /// Extra response headers (`ETag` of the current version, `WWW-Authenticate`); not part of the body.
    public var headerFields: [String: String] = [:]

    /// Creates a problem.
    public init(
        status: HTTPResponse.Status, type: String, title: String, detail: String? = nil, errors: [FieldError]? = nil
    ) {
        self.type = type
        self.title = title
        self.statusCode = status.code
        self.detail = detail
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey {
        case type, title, statusCode = "status", detail, instance, errors, current, allowed
    }

    /// The HTTP status.
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    /// Renders as `application/problem+json`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(self)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if statusCode == 503 { headers[.retryAfter] = "1" }
        for (name, value) in headerFields.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name(name) { headers[name] = value }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Base of the `type` URIs.
    public static let typeBase = "https://truckroll.dev/problems/"

    /// 404: no such route or resource.
    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, type: typeBase + "not-found", title: "Not found", detail: detail)
    }

    /// 400 or 422: the request is malformed; `errors` names the fields.
    public static func invalidRequest(_ errors: [FieldError], status: HTTPResponse.Status = .unprocessableContent) -> Problem {
        Problem(status: status, type: typeBase + "invalid-request", title: "Invalid request",
                detail: errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "), errors: errors)
    }

    /// 401: no credentials, or credentials that are unknown, expired or revoked.
    public static func unauthenticated(_ detail: String) -> Problem {
        var problem = Problem(status: .unauthorized, type: typeBase + "unauthenticated", title: "Unauthenticated", detail: detail)
        problem.headerFields["WWW-Authenticate"] = "Bearer realm=\"truckroll\""
        return problem
    }

    /// 403: the caller's role may not do this.
    public static func forbidden(_ detail: String) -> Problem {
        Problem(status: .forbidden, type: typeBase + "forbidden", title: "Forbidden", detail: detail)
    }

    /// 503: a dependency (the database) is unavailable; the client may retry.
    public static func unavailable(_ detail: String) -> Problem {
        Problem(status: .serviceUnavailable, type: typeBase + "unavailable", title: "Service unavailable", detail: detail)
    }

    /// 503: the request did not finish within the service's request deadline; the client may retry.
    public static func timedOut(_ detail: String) -> Problem {
        Problem(status: .serviceUnavailable, type: typeBase + "timeout", title: "Request timed out", detail: detail)
    }

    /// 429: the token sent more requests than its rate limit; `Retry-After` says when to try again.
    public static func tooManyRequests(retryAfterSeconds: Int, limit: RateLimit) -> Problem {
        var problem = Problem(
            status: .tooManyRequests, type: typeBase + "rate-limited", title: "Too many requests",
            detail: "this token may send \(limit.perSecond == limit.perSecond.rounded() ? String(Int(limit.perSecond)) : String(limit.perSecond)) requests per second (bursts of \(limit.burst)); "
                + "retry after \(retryAfterSeconds) s"
        )
        problem.headerFields["Retry-After"] = String(retryAfterSeconds)
        return problem
    }

    /// 500: an unexpected failure; details are only in the server log.
    public static let internalError = Problem(
        status: .internalServerError, type: typeBase + "internal-error", title: "Internal server error",
        detail: "an unexpected error occurred; quote the request id (instance) when reporting it"
    )
}
