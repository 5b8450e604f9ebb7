import FoundationEssentials
import HTTPTypes
import Hummingbird
import NIOCore
import TruckrollDomain
import TruckrollStore

/// `/v1/<resource>` routes for every registry resource: list, read, create, update and delete, with role and
/// ownership checks, ETags, `If-Match` and `Idempotency-Key`.
public struct RegistryController: Sendable {
    public typealias Context = TruckrollRequestContext

    let store: RegistryStore
    let access: AccessStore
    let transitions: TransitionStore
    let fieldWork: FieldWorkStore

    public init(store: RegistryStore, access: AccessStore, transitions: TransitionStore, fieldWork: FieldWorkStore) {
        self.store = store
        self.access = access
        self.transitions = transitions
        self.fieldWork = fieldWork
    }

    /// Adds the routes under `group` (which authenticates).
    public func addRoutes(to group: RouterGroup<Context>) {
        for resource in Registry.resources {
            let name = resource.name
            group.get(RouterPath(name)) { request, context in try await list(name, request: request, context: context) }
            group.get(RouterPath("\(name)/:id")) { _, context in try await read(name, context: context) }
            switch name {
            case "tokens":
                group.post(RouterPath(name)) { request, context in try await createToken(request: request, context: context) }
                group.delete(RouterPath("\(name)/:id")) { _, context in try await revokeToken(context: context) }
                continue
            case "device-alerts":
                group.post(RouterPath(name)) { request, context in try await receiveAlert(request: request, context: context) }
            default:
                group.post(RouterPath(name)) { request, context in try await create(name, request: request, context: context) }
            }
            if resource.isUpdatable {
                group.patch(RouterPath("\(name)/:id")) { request, context in try await update(name, request: request, context: context) }
            }
            if resource.lifecycle != nil {
                group.post(RouterPath("\(name)/:id/transitions")) { request, context in
                    try await transition(name, request: request, context: context)
                }
            }
            if resource.isDeletable {
                group.delete(RouterPath("\(name)/:id")) { request, context in try await delete(name, request: request, context: context) }
            }
        }
        group.post("visits/:id/parts") { request, context in try await usePart(request: request, context: context) }
        group.post("stock/transfers") { request, context in
            let principal = try context.requirePrincipal()
            let body = try await jsonObject(request, context: context)
            let moved = try await registryCall { try await fieldWork.transferStock(body, as: principal) }
            return jsonResponse(status: .created, body: String(decoding: try JSONEncoder().encode(moved), as: UTF8.self))
        }
        group.get("me/visits") { request, context in try await myVisits(request: request, context: context) }
        group.get("me") { _, context in
            let principal = try context.requirePrincipal()
            return try await registryCall { try await store.get("users", id: principal.userID, as: principal) }.response(status: .ok)
        }
    }

    // MARK: handlers

    func list(_ name: String, request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        var filters: [String: String] = [:]
        var limit = 50
        var after: Int?
        for (key, value) in request.uri.queryParameters {
            switch key {
            case "limit":
                guard let number = Int(value), (1...1000).contains(number) else {
                    throw Problem.invalidRequest([.init(field: "limit", message: "must be an integer from 1 to 1000")], status: .badRequest)
                }
                limit = number
            case "after":
                guard let number = Int(value), number >= 0 else {
                    throw Problem.invalidRequest([.init(field: "after", message: "must be the next_cursor of a previous page")], status: .badRequest)
                }
                after = number
            default:
                filters[String(key)] = String(value)
            }
        }
        let page = try await registryCall { try await store.list(name, filters: filters, after: after, limit: limit, as: principal) }
        let cursor = page.nextCursor.map { "\"\($0)\"" } ?? "null"
        return jsonResponse(status: .ok, body: "{\"items\":[" + page.items.joined(separator: ",") + "],\"next_cursor\":\(cursor)}")
    }

    func read(_ name: String, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try resourceID(context)
        return try await registryCall { try await store.get(name, id: id, as: principal) }.response(status: .ok)
    }

    func create(_ name: String, request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await jsonObject(request, context: context)
        let key = try idempotencyKey(request, body: body)
        let outcome = try await registryCall { try await store.create(name, record: body, as: principal, idempotencyKey: key) }
        switch outcome {
        case .created(let record):
            var response = record.response(status: .created)
            response.headers[.location] = "/v1/\(name)/\(record.id)"
            return response
        case .replayed(let replay):
            return replay.response()
        }
    }

    func update(_ name: String, request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try resourceID(context)
        let version = try expectedVersion(request)
        let patch = try await jsonObject(request, context: context)
        return try await registryCall {
            try await store.update(name, id: id, patch: patch, expectedVersion: version, as: principal)
        }.response(status: .ok)
    }

    func delete(_ name: String, request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try resourceID(context)
        let version = try expectedVersion(request)
        try await registryCall { try await store.delete(name, id: id, expectedVersion: version, as: principal) }
        return Response(status: .noContent)
    }

    func transition(_ name: String, request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try resourceID(context)
        let version = try expectedVersion(request)
        let body = try await jsonObject(request, context: context)
        return try await registryCall {
            try await transitions.transition(name, id: id, request: body, expectedVersion: version, as: principal)
        }.response(status: .ok)
    }

    func usePart(request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try resourceID(context)
        let version = try expectedVersion(request)
        let body = try await jsonObject(request, context: context)
        let used = try await registryCall {
            try await fieldWork.usePart(visitID: id, request: body, expectedVersion: version, as: principal)
        }
        return jsonResponse(status: .created, body: String(decoding: try JSONEncoder().encode(used), as: UTF8.self))
    }

    func receiveAlert(request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await jsonObject(request, context: context)
        let outcome = try await registryCall { try await fieldWork.receiveAlert(body, as: principal) }
        var response = outcome.record.response(status: outcome.isRepeat ? .ok : .created)
        if outcome.isRepeat { response.headers[.idempotentReplayed] = "true" }
        return response
    }

    /// The calling technician's visits still to do, in planned order, each with the unit's last calls and the
    /// parts to bring.
    func myVisits(request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let technicianID = principal.technicianID else {
            throw Problem.forbidden("/v1/me/visits is for technicians; others list /v1/visits?technician=…")
        }
        let items = try await fieldWork.openVisits(technicianID: technicianID)
        return jsonResponse(status: .ok, body: "{\"items\":\(items),\"next_cursor\":null}")
    }

    func createToken(request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await jsonObject(request, context: context)
        let key = try idempotencyKey(request, body: body)
        let (outcome, secret) = try await registryCall { try await access.createToken(body, as: principal, idempotencyKey: key) }
        switch outcome {
        case .created(let record):
            var response = jsonResponse(status: .created, body: record.json.withSecret(secret), etag: record.etag)
            response.headers[.location] = "/v1/tokens/\(record.id)"
            return response
        case .replayed(let replay):
            return replay.response()
        }
    }

    func revokeToken(context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try resourceID(context)
        return try await registryCall { try await access.revokeToken(id: id, as: principal) }.response(status: .ok)
    }

    // MARK: request parts

    func resourceID(_ context: Context) throws -> Int {
        guard let text = context.parameters.get("id"), let id = Int(text), id > 0 else {
            throw Problem.notFound("ids are positive integers")
        }
        return id
    }

    /// The version `If-Match` names: `"v<n>"`.
    /// - Throws: 428 when the header is missing, 412 when it names no version of ours.
    func expectedVersion(_ request: Request) throws -> Int {
        guard let header = request.headers[.ifMatch] else {
            throw Problem(
                status: .preconditionRequired, type: Problem.typeBase + "if-match-required", title: "If-Match required",
                detail: "send If-Match with the ETag from your last read, so that a concurrent change is not overwritten",
                errors: [.init(field: "If-Match", message: "is required")]
            )
        }
        let tag = header.filter { !$0.isWhitespace }
        guard tag.hasPrefix("\"v"), tag.hasSuffix("\""), let version = Int(tag.dropFirst(2).dropLast()) else {
            throw Problem(
                status: .preconditionFailed, type: Problem.typeBase + "stale-version", title: "Stale version",
                detail: "If-Match must be an ETag of this API, such as \"v3\"",
                errors: [.init(field: "If-Match", message: "is not an ETag of this API")]
            )
        }
        return version
    }

    /// The `Idempotency-Key`, with a digest of the request it guards.
    func idempotencyKey(_ request: Request, body: JSONObject) throws -> IdempotencyKey? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard (1...200).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw Problem.invalidRequest([.init(field: "Idempotency-Key", message: "must be 1 to 200 printable ASCII characters")], status: .badRequest)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let canonical = try encoder.encode(body)
        return IdempotencyKey(key: key, requestDigest: sha256Digest(Array("\(request.method) \(request.uri.path)\n".utf8) + canonical))
    }
}

/// Parses the body as a JSON object.
/// - Throws: 413 above the context's limit, 400 when it is not JSON, 422 when it is JSON but not an object or when
///   a string in it holds U+0000 (PostgreSQL stores no NUL in text or jsonb).
func jsonObject(_ request: Request, context: some RequestContext) async throws -> JSONObject {
    var request = request
    let buffer = try await request.collectBody(upTo: context.maxUploadSize)
    let value: JSONValue
    do {
        value = try buffer.withUnsafeReadableBytes { try JSONValue(utf8: $0.assumingMemoryBound(to: UInt8.self)) }
    } catch {
        throw Problem.invalidRequest([.init(field: "body", message: "is not valid JSON")], status: .badRequest)
    }
    guard case .object(let object) = value else {
        throw Problem.invalidRequest([.init(field: "body", message: "must be a JSON object, not \(value.typeName)")])
    }
    if let field = firstFieldHoldingNUL(in: value, at: "") {
        throw Problem.invalidRequest([.init(field: field, message: "must not contain the NUL character (U+0000)")])
    }
    return object
}

/// The path (`caller.name`, `unit_ids[2]`) of the first string or member name holding U+0000, if any.
func firstFieldHoldingNUL(in value: JSONValue, at path: String) -> String? {
    switch value {
    case .string(let text):
        return text.unicodeScalars.contains("\u{0}") ? (path.isEmpty ? "body" : path) : nil
    case .array(let items):
        for (index, item) in items.enumerated() {
            if let field = firstFieldHoldingNUL(in: item, at: "\(path)[\(index)]") { return field }
        }
        return nil
    case .object(let members):
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            let memberPath = path.isEmpty ? name : "\(path).\(name)"
            if name.unicodeScalars.contains("\u{0}") { return memberPath }
            if let field = firstFieldHoldingNUL(in: member, at: memberPath) { return field }
        }
        return nil
    default:
        return nil
    }
}

/// Runs a store call, turning its refusals into problems.
func registryCall<Result>(_ body: () async throws -> Result) async throws -> Result {
    do {
        return try await body()
    } catch let error as RegistryError {
        throw Problem(error)
    }
}

func jsonResponse(status: HTTPResponse.Status, body: String, etag: String? = nil) -> Response {
    var headers: HTTPFields = [.contentType: "application/json"]
    if let etag { headers[.eTag] = etag }
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
}

extension StoredRecord {
    func response(status: HTTPResponse.Status) -> Response {
        jsonResponse(status: status, body: json, etag: etag)
    }
}

extension ReplayedResponse {
    func response() -> Response {
        var response = jsonResponse(status: HTTPResponse.Status(code: status), body: body, etag: etag)
        response.headers[.idempotentReplayed] = "true"
        return response
    }
}

extension String {
    /// A record's JSON with the one-time `secret` member added.
    func withSecret(_ secret: TokenSecret?) -> String {
        guard let secret, hasSuffix("}") else { return self }
        return String(dropLast()) + ",\"secret\":\"\(secret.value)\"}"
    }
}

extension HTTPField.Name {
    /// `Idempotency-Key`: a client-chosen key that makes a create safe to retry.
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// `Idempotent-Replayed: true` marks a response replayed for a repeated key.
    public static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}
