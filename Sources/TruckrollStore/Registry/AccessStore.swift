import FoundationEssentials
import LibPQ
import TruckrollDomain

/// Users' credentials: token authentication, token issue and revocation, password sign-in.
public struct AccessStore: Sendable {
    let pool: PGPool
    let registry: RegistryStore

    public init(pool: PGPool) {
        self.pool = pool
        self.registry = RegistryStore(pool: pool)
    }

    /// The user behind a token secret, if the token is known, neither revoked nor expired, and its user enabled.
    /// Records when the token was last used, at most once a minute.
    public func authenticate(_ secret: TokenSecret) async throws -> Principal? {
        let rows = try await pool.query(Self.authenticationQuery(secretSHA256: secret.sha256))
        guard let row = try rows.singleRow() else { return nil }
        let (userID, username, role, technicianID, vendorID, tokenID, stale) =
            try row.decode((Int, String, String, Int?, Int?, Int, Bool).self)
        guard let role = Role(rawValue: role) else { return nil }
        if stale {
            try await pool.query("UPDATE api_token SET last_used_at = now() WHERE id = \(tokenID)")
        }
        return Principal(userID: userID, username: username, role: role, technicianID: technicianID, vendorID: vendorID)
    }

    /// The statement of ``authenticate(_:)``: who holds the token with this digest, if it is live; the load benchmark
    /// runs the same text with pgbench.
    public static func authenticationQuery(secretSHA256: Data) -> PGQuery {
        """
        SELECT u.id AS user_id, u.username, u.role, u.technician_id, u.vendor_id, t.id AS token_id,
            t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS stale
        FROM api_token t JOIN app_user u ON u.id = t.user_id
        WHERE t.secret_sha256 = \(secretSHA256) AND t.revoked_at IS NULL
            AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled
        """
    }

    /// Issues a token. Non-admins issue tokens for themselves only.
    /// - Parameter request: `name`, optional `user_id` (default: the caller) and `expires_at`.
    /// - Returns: The outcome and, when a token was made now, its secret (never stored, never shown again).
    public func createToken(
        _ request: JSONObject, as principal: Principal, idempotencyKey: IdempotencyKey? = nil
    ) async throws -> (CreateOutcome, TokenSecret?) {
        let table = RegistryStore.table("tokens")
        let scope = try RegistryStore.scope(of: principal, on: table, writing: true)
        let errors = table.resource.validateCreate(request)
        guard errors.isEmpty else { throw RegistryError.invalid(errors) }
        let userID = request["user_id"]?.integerValue ?? principal.userID
        if scope != nil, userID != principal.userID {
            throw RegistryError.forbidden("role \(principal.role.rawValue) may issue tokens for itself only")
        }
        let name = request["name"]?.stringValue ?? ""
        let expiresAt = request["expires_at"]?.stringValue.flatMap(Timestamp.parse)
        let secret = TokenSecret.generate()
        let outcome = try await registry.withIdempotency(idempotencyKey, principal: principal, table: table) { connection in
            let id = try await Self.insertToken(userID: userID, name: name, expiresAt: expiresAt, secret: secret, on: connection)
            guard let record = try await RegistryStore.read(table, id: id, scope: nil, on: connection) else {
                throw RegistryError.notFound(resource: "tokens", id: id)
            }
            return record
        }
        if case .created = outcome { return (outcome, secret) }
        return (outcome, nil)
    }

    /// Issues a token for a user named by username, for operators working on the database directly.
    /// - Throws: ``RegistryError/invalid(_:)`` when there is no such enabled user.
    public func createToken(forUsername username: String, name: String, expiresAt: Date?) async throws -> (StoredRecord, TokenSecret) {
        let secret = TokenSecret.generate()
        let table = RegistryStore.table("tokens")
        let record = try await pool.withTransaction { connection in
            let rows = try await connection.query("SELECT id FROM app_user WHERE username = \(username) AND NOT disabled")
            guard let userID = try rows.singleRow()?.decode(Int.self, at: 0) else {
                throw RegistryError.invalid([FieldError(field: "user", message: "no enabled user named \(username)")])
            }
            let id = try await Self.insertToken(userID: userID, name: name, expiresAt: expiresAt, secret: secret, on: connection)
            guard let record = try await RegistryStore.read(table, id: id, scope: nil, on: connection) else {
                throw RegistryError.notFound(resource: "tokens", id: id)
            }
            return record
        }
        return (record, secret)
    }

    static func insertToken(
        userID: Int, name: String, expiresAt: Date?, secret: TokenSecret, on connection: PGConnection
    ) async throws -> Int {
        let rows = try await connection.query("""
            INSERT INTO api_token (user_id, name, secret_sha256, secret_prefix, expires_at)
            VALUES (\(userID), \(name), \(secret.sha256), \(secret.prefix), \(expiresAt)) RETURNING id
            """)
        return try rows[0].decode(Int.self, at: 0)
    }

    /// Revokes a token: it stops working at once. Revoking a revoked token changes nothing.
    /// - Throws: ``RegistryError/notFound(resource:id:)`` when it is not the caller's (unless admin).
    public func revokeToken(id: Int, as principal: Principal) async throws -> StoredRecord {
        let table = RegistryStore.table("tokens")
        let scope = try RegistryStore.scope(of: principal, on: table, writing: true)
        let condition: PGQuery = scope.map { " AND " + $0 } ?? ""
        return try await pool.withTransaction { connection in
            try await connection.execute(
                "UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id)" + condition
            )
            guard let record = try await RegistryStore.read(table, id: id, scope: scope, on: connection) else {
                throw RegistryError.notFound(resource: "tokens", id: id)
            }
            return record
        }
    }

    /// Exchanges a username and password for a new token.
    /// - Returns: `nil` when the user is unknown, disabled, has no password or the password is wrong (one answer for all,
    ///   so that a caller cannot tell which).
    public func signIn(username: String, password: String, tokenName: String) async throws -> (StoredRecord, TokenSecret)? {
        let rows = try await pool.query("SELECT password_hash FROM app_user WHERE username = \(username) AND NOT disabled")
        guard let row = try rows.singleRow(), let hash = try row.decode(String?.self, at: 0) else {
            _ = try await PasswordHash.matches(password, hash: Self.decoyHash)
            return nil
        }
        guard try await PasswordHash.matches(password, hash: hash) else { return nil }
        return try await createToken(forUsername: username, name: tokenName, expiresAt: Date().addingTimeInterval(30 * 86_400))
    }

    /// Checked against when the user does not exist, so that the answer takes as long as for a wrong password.
    /// (A cost-11 bcrypt hash of a password no user has.)
    static let decoyHash = "$2b$11$cfywKsKTbgNXuwj2oaqVJOD0eLwbajtx5.d3.0ckAEQ6YEEMM91su"

    /// Creates a user directly in the database, for operators (`truckroll admin user add`).
    public func addUser(_ record: JSONObject) async throws -> StoredRecord {
        let outcome = try await registry.create("users", record: record, as: .operator)
        guard case .created(let user) = outcome else { preconditionFailure("a create without a key cannot replay") }
        return user
    }
}

extension Principal {
    /// The operator at the command line, acting on the database directly with admin rights (not a stored user).
    public static let `operator` = Principal(userID: 0, username: "operator", role: .admin)
}
