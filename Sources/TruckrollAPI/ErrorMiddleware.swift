import FoundationEssentials
import HTTPTypes
import Hummingbird
import Logging

/// The one error boundary: every error leaves as `application/problem+json`, and every response carries
/// `X-Request-Id`.
///
/// ``Problem``s pass through; Hummingbird's HTTP errors (unknown route, bad method, oversized body) are converted;
/// errors that a `translate` closure recognises (e.g. an unreachable database) become their problem; anything
/// else is logged at `.error` with the request id and answered with a bare 500.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Maps infrastructure errors to problems; returns `nil` for errors it does not know.
    public typealias Translate = @Sendable (any Error) -> Problem?

    private let translate: Translate

    /// Creates the middleware.
    /// - Parameter translate: Recognises errors from layers below the API.
    public init(translate: @escaping Translate = { _ in nil }) {
        self.translate = translate
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // Hummingbird puts its request id in the logger's metadata; a logger that keeps no metadata has none.
        let requestID = context.logger[metadataKey: "hb.request.id"]?.description ?? UUID().uuidString.lowercased()
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            var problem = problem(for: error, context: context)
            problem.instance = requestID
            response = try problem.response(from: request, context: context)
        }
        response.headers[.requestID] = requestID
        return response
    }

    private func problem(for error: any Error, context: Context) -> Problem {
        if let problem = error as? Problem { return problem }
        if let problem = translate(error) {
            context.logger.warning("request failed", metadata: ["error.kind": "\(problem.title)"])
            return problem
        }
        if let httpError = error as? any HTTPResponseError {
            if httpError.status == .notFound { return .notFound("no such resource") }
            let detail = (httpError as? HTTPError)?.body
                ?? (httpError.status == .contentTooLarge ? "the request body is too large" : nil)
            return Problem(
                status: httpError.status, type: Problem.typeBase + "http-\(httpError.status.code)",
                title: httpError.status.reasonPhrase, detail: detail
            )
        }
        context.logger.error("unexpected error", metadata: ["error.type": "\(type(of: error))", "error": "\(String(reflecting: error))"])
        return .internalError
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`: the id that also appears in the logs and in problem `instance`.
    public static let requestID = HTTPField.Name("X-Request-Id")!
}
