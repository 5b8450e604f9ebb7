import Hummingbird
import TruckrollDomain
import TruckrollStore

/// `POST /v1/login`: exchanges a username and password for a new API token (valid 30 days).
public struct LoginController: Sendable {
    let access: AccessStore

    public init(access: AccessStore) {
        self.access = access
    }

    public func addRoutes(to router: Router<TruckrollRequestContext>) {
        router.post("v1/login") { request, context in
            let body = try await jsonObject(request, context: context)
            var errors: [Problem.FieldError] = []
            for key in body.keys.sorted() where !["username", "password", "token_name"].contains(key) {
                errors.append(.init(field: key, message: "is not a field of a login request"))
            }
            for key in ["username", "password"] where body[key]?.stringValue?.isEmpty ?? true {
                errors.append(.init(field: key, message: "is required (a non-empty string)"))
            }
            guard errors.isEmpty, let username = body["username"]?.stringValue, let password = body["password"]?.stringValue else {
                throw Problem.invalidRequest(errors)
            }
            let tokenName = body["token_name"]?.stringValue ?? "login"
            guard let (record, secret) = try await access.signIn(username: username, password: password, tokenName: tokenName) else {
                throw Problem.unauthenticated("unknown user, disabled user or wrong password")
            }
            return jsonResponse(status: .created, body: record.json.withSecret(secret), etag: record.etag)
        }
    }
}
