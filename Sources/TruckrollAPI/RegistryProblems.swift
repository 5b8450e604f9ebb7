import FoundationEssentials
import HTTPTypes
import TruckrollDomain
import TruckrollStore

extension Problem {
    /// The problem a refused registry operation answers with.
    init(_ error: RegistryError) {
        switch error {
        case .forbidden(let detail):
            self = .forbidden(detail)
        case .notFound(let resource, let id):
            self = .notFound("no \(resource) with id \(id)")
        case .invalid(let errors):
            self = .invalidRequest(errors.map(Problem.FieldError.init))
        case .versionMismatch(let current):
            self = Problem(
                status: .preconditionFailed, type: Problem.typeBase + "stale-version", title: "Stale version",
                detail: "it changed since you read it: it is now at version \(current.version); "
                    + "read it again, re-apply your change and send If-Match: \(current.etag)"
            )
            self.current = JSONValue(parsing: current.json)
            self.headerFields["ETag"] = current.etag
        case .duplicate(let fieldError):
            self = Problem(
                status: .conflict, type: Problem.typeBase + "duplicate", title: "Duplicate",
                detail: "\(fieldError.field): \(fieldError.message)", errors: [Problem.FieldError(fieldError)]
            )
        case .conflict(let fieldError):
            self = Problem(
                status: .conflict, type: Problem.typeBase + "conflict", title: "Conflict",
                detail: "\(fieldError.field): \(fieldError.message)", errors: [Problem.FieldError(fieldError)]
            )
        case .illegalTransition(let from, let to, let allowed):
            self = Problem(
                status: .conflict, type: Problem.typeBase + "illegal-transition", title: "Illegal transition",
                detail: "cannot move from \(from) to \(to); allowed next: "
                    + (allowed.isEmpty ? "none (\(from) is final)" : allowed.joined(separator: ", ")),
                errors: [.init(field: "to", message: "cannot move from \(from) to \(to)")]
            )
            self.allowed = allowed
        case .stillReferenced(let detail):
            self = Problem(
                status: .conflict, type: Problem.typeBase + "still-referenced", title: "Still referenced",
                detail: "other records refer to it (\(detail)); retire it instead, or remove those first"
            )
        case .idempotencyKeyReused:
            self = .invalidRequest([Problem.FieldError(
                field: "Idempotency-Key", message: "was already used with a different request; use a new key for a new request"
            )])
        case .notAllowed(let detail):
            self = Problem(status: .methodNotAllowed, type: Problem.typeBase + "method-not-allowed", title: "Method not allowed", detail: detail)
        }
    }
}

extension Problem.FieldError {
    /// The wire form of a domain field error.
    init(_ error: TruckrollDomain.FieldError) {
        self.init(field: error.field, message: error.message)
    }
}
