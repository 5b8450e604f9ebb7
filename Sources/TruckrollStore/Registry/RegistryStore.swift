import FoundationEssentials
import LibPQ
import Logging
import TruckrollDomain

/// A registry row as the API returns it.
public struct StoredRecord: Sendable, Equatable {
    public let id: Int
    public let version: Int
    /// The row as a JSON object (from the resource's `api_` view).
    public let json: String

    /// The strong ETag of this version: `"v<version>"`.
    public var etag: String { "\"v\(version)\"" }
}

/// A page of a list, in id order.
public struct RecordPage: Sendable {
    /// Each row as a JSON object.
    public let items: [String]
    /// Pass as `after` to get the next page; `nil` on the last page.
    public let nextCursor: Int?
}

/// The response a create gave the first time an `Idempotency-Key` was used, replayed on a retry.
public struct ReplayedResponse: Sendable, Equatable {
    public let status: Int
    public let body: String
    public let etag: String?
}

/// A client's `Idempotency-Key` for a create, with a digest of the request it came with.
public struct IdempotencyKey: Sendable {
    public let key: String
    /// SHA-256 of the method, path and body.
    public let requestDigest: [UInt8]

    public init(key: String, requestDigest: [UInt8]) {
        self.key = key
        self.requestDigest = requestDigest
    }
}

/// What a create did.
public enum CreateOutcome: Sendable {
    /// The row was stored.
    case created(StoredRecord)
    /// The same key and request came before: here is what was answered then.
    case replayed(ReplayedResponse)
}

/// Why a registry operation was refused. Every case maps to one HTTP status and names what is at fault.
public enum RegistryError: Error, Sendable, Equatable {
    /// The role may not do this to this resource at all (403).
    case forbidden(String)
    /// No such row, or none the caller may see (404).
    case notFound(resource: String, id: Int)
    /// The request's fields are wrong (422).
    case invalid([FieldError])
    /// The request clashes with the state of other records (409): an overlapping booking, a call that no longer
    /// needs a visit, too few parts in the van.
    case conflict(FieldError)
    /// The status cannot move there from where it is (409), with the moves that are legal.
    case illegalTransition(from: String, to: String, allowed: [String])
    /// The row changed since the client read it (412); the current row is attached.
    case versionMismatch(current: StoredRecord)
    /// Another row already has this value (409).
    case duplicate(FieldError)
    /// Other rows still refer to this one (409).
    case stillReferenced(String)
    /// The `Idempotency-Key` was used before with another request (422).
    case idempotencyKeyReused
    /// The operation does not exist for this resource (405), e.g. deleting a user.
    case notAllowed(String)
}

/// Reads and writes registry resources with the caller's rights applied in SQL.
///
/// Rows map to JSON one to one (column names are field names): writes go through `jsonb_populate_record` with the
/// column list taken from the resource description, reads come back from the `api_` views as `to_jsonb`. Values
/// always travel as bound parameters; only identifiers from the static table map enter the SQL text.
public struct RegistryStore: Sendable {
    let pool: PGPool

    public init(pool: PGPool) {
        self.pool = pool
    }

    /// The table map entry for a resource; a programming error if absent.
    static func table(_ resource: String) -> RegistryTable {
        guard let table = RegistryTable.all[resource] else { preconditionFailure("no table for resource \(resource)") }
        return table
    }

    /// The rows `principal` reaches: `nil` for all, a condition for some.
    /// - Throws: ``RegistryError/forbidden(_:)`` when the role has no access of that kind.
    static func scope(of principal: Principal, on table: RegistryTable, writing: Bool) throws -> PGQuery? {
        try scope(of: principal, on: table, rights: writing ? table.resource.access.write : table.resource.access.read,
                  refusal: "may not \(writing ? "change" : "read") \(table.resource.name)")
    }

    /// The rows `principal` reaches under `rights` (read, write or transition rights): `nil` for all, a condition
    /// for some.
    /// - Throws: ``RegistryError/forbidden(_:)`` with "role … `refusal`" when the role has none.
    static func scope(of principal: Principal, on table: RegistryTable, rights: [Role: Scope], refusal: String) throws -> PGQuery? {
        switch rights[principal.role] {
        case nil: throw RegistryError.forbidden("role \(principal.role.rawValue) \(refusal)")
        case .all?: return nil
        case .own?: return table.ownedRows(principal) ?? "false"
        }
    }

    // MARK: reading

    /// One row.
    /// - Throws: ``RegistryError/notFound(resource:id:)`` when it does not exist or the caller may not see it.
    public func get(_ resource: String, id: Int, as principal: Principal) async throws -> StoredRecord {
        let table = Self.table(resource)
        let scope = try Self.scope(of: principal, on: table, writing: false)
        return try await pool.withConnection { connection in
            guard let record = try await Self.read(table, id: id, scope: scope, on: connection) else {
                throw RegistryError.notFound(resource: resource, id: id)
            }
            return record
        }
    }

    /// A page of rows in id order, after the cursor, matching every filter.
    /// - Parameters:
    ///   - filters: Filter parameter → value, as given in the query string.
    ///   - after: The previous page's `nextCursor`.
    ///   - limit: Rows per page, 1...1000.
    /// - Throws: ``RegistryError/invalid(_:)`` naming an unknown filter or a value of the wrong type.
    public func list(
        _ resource: String, filters: [String: String], after: Int?, limit: Int, as principal: Principal
    ) async throws -> RecordPage {
        let table = Self.table(resource)
        var conditions: [PGQuery] = []
        if let scope = try Self.scope(of: principal, on: table, writing: false) { conditions.append(scope) }
        var errors: [FieldError] = []
        for (parameter, value) in filters.sorted(by: { $0.key < $1.key }) {
            guard let filter = table.resource.filters.first(where: { $0.parameter == parameter }),
                let field = table.resource.field(filter.field)
            else {
                let known = table.resource.filters.map(\.parameter).joined(separator: ", ")
                errors.append(FieldError(field: parameter, message: "is not a filter of \(resource) (filters: \(known))"))
                continue
            }
            switch field.type {
            case .reference, .integer:
                guard let number = Int(value) else {
                    errors.append(FieldError(field: parameter, message: "must be an integer"))
                    continue
                }
                conditions.append("\(identifier: field.name) = \(number)")
            default:
                errors += field.type.problems(with: .string(value), at: parameter)
                conditions.append("\(identifier: field.name) = \(value)")
            }
        }
        guard errors.isEmpty else { throw RegistryError.invalid(errors) }
        if let after { conditions.append("id > \(after)") }
        let whereClause: PGQuery = conditions.isEmpty ? "" : " WHERE " + PGQuery.joined(conditions, separator: " AND ")
        let query: PGQuery = "SELECT id, to_jsonb(v)::text FROM \(identifier: table.view) v"
            + whereClause + " ORDER BY id LIMIT \(limit + 1)"
        return try await pool.withConnection { connection in
            let rows = try await connection.query(query)
            var items: [String] = []
            var lastID = 0
            for row in rows.prefix(limit) {
                lastID = try row.decode(Int.self, at: 0)
                items.append(try row.decode(String.self, at: 1))
            }
            return RecordPage(items: try await Self.decorated(items, table: table, on: connection), nextCursor: rows.count > limit ? lastID : nil)
        }
    }

    static func read(_ table: RegistryTable, id: Int, scope: PGQuery?, on connection: PGConnection) async throws -> StoredRecord? {
        let condition: PGQuery = scope.map { " AND " + $0 } ?? ""
        let rows = try await connection.query(
            "SELECT id, version, to_jsonb(v)::text FROM \(identifier: table.view) v WHERE id = \(id)" + condition
        )
        guard let row = try rows.singleRow() else { return nil }
        let (id, version, json) = try row.decode((Int, Int, String).self)
        return StoredRecord(id: id, version: version, json: try await decorated([json], table: table, on: connection)[0])
    }

    /// Rows with the table's computed members added, when it has any.
    static func decorated(_ rows: [String], table: RegistryTable, on connection: PGConnection) async throws -> [String] {
        guard let decorate = table.decorate, !rows.isEmpty else { return rows }
        let objects = try rows.map(decodeObject)
        return try await decorate(objects, connection).map(encoded)
    }

    // MARK: writing

    /// Stores a new row after validating it, in one transaction with its links and the idempotency key.
    /// - Throws: ``RegistryError`` (`forbidden`, `invalid`, `duplicate`, `idempotencyKeyReused`).
    public func create(
        _ resource: String, record: JSONObject, as principal: Principal, idempotencyKey: IdempotencyKey? = nil
    ) async throws -> CreateOutcome {
        let table = Self.table(resource)
        let scope = try Self.scope(of: principal, on: table, writing: true)
        let errors = table.resource.validateCreate(record)
        guard errors.isEmpty else { throw RegistryError.invalid(errors) }
        if scope != nil, !table.hooks.ownsNewRecord(principal, record) {
            throw RegistryError.forbidden("role \(principal.role.rawValue) may create only its own \(resource)")
        }
        let storable = try await Self.storable(record, for: table)
        return try await withIdempotency(idempotencyKey, principal: principal, table: table) { connection in
            var stored = storable
            try await table.hooks.prepare(&stored, principal, connection)
            let id = try await Self.insert(stored, into: table, on: connection)
            try await table.hooks.finish(id, stored, principal, connection)
            guard let created = try await Self.read(table, id: id, scope: nil, on: connection) else {
                throw PGError(kind: .decoding, message: "created \(resource) \(id) cannot be read back")
            }
            return created
        }
    }

    /// Runs a create under an `Idempotency-Key`: the key is claimed in the same transaction as the work, so a retry
    /// either replays the stored answer or, if the first attempt rolled back, does the work once.
    func withIdempotency(
        _ key: IdempotencyKey?, principal: Principal, table: RegistryTable,
        _ work: @escaping (PGConnection) async throws -> StoredRecord
    ) async throws -> CreateOutcome {
        try await translatingErrors(for: table) {
            try await pool.withTransaction(maxAttempts: Self.writeAttempts) { connection in
                if let key {
                    let claimed = try await connection.execute("""
                        INSERT INTO idempotency_key (user_id, key, request_sha256, response_status, response_body)
                        VALUES (\(principal.userID), \(key.key), \(Data(key.requestDigest)), 0, '') ON CONFLICT DO NOTHING
                        """)
                    if claimed == 0 {
                        let rows = try await connection.query("""
                            SELECT request_sha256, response_status, response_body, response_etag FROM idempotency_key
                            WHERE user_id = \(principal.userID) AND key = \(key.key)
                            """)
                        guard let row = try rows.singleRow() else { throw RegistryError.idempotencyKeyReused }
                        let (digest, status, body, etag) = try row.decode((Data, Int, String, String?).self)
                        guard Array(digest) == key.requestDigest else { throw RegistryError.idempotencyKeyReused }
                        return .replayed(ReplayedResponse(status: status, body: body, etag: etag))
                    }
                }
                let record = try await work(connection)
                if let key {
                    try await connection.execute("""
                        UPDATE idempotency_key SET response_status = 201, response_body = \(record.json),
                            response_etag = \(record.etag)
                        WHERE user_id = \(principal.userID) AND key = \(key.key)
                        """)
                }
                return .created(record)
            }
        }
    }

    /// Attempts of a write transaction (creates, updates, status transitions, part use, stock moves, alerts). Two
    /// writes that would each break an exclusion constraint with the other's uncommitted row (two dispatchers moving
    /// visits into each other's slot) wait for each other, and PostgreSQL ends one with a deadlock; run again, it
    /// finds the other committed and is refused with a clear conflict (with many dispatchers on the same
    /// technicians, a retry can meet another cycle, hence several attempts).
    static let writeAttempts = 6

    /// Changes a row with a merge patch, if it is still at `expectedVersion`.
    /// - Throws: ``RegistryError`` (`notFound`, `versionMismatch` with the current row, `invalid`, `duplicate`).
    public func update(
        _ resource: String, id: Int, patch: JSONObject, expectedVersion: Int, as principal: Principal
    ) async throws -> StoredRecord {
        let table = Self.table(resource)
        let scope = try Self.scope(of: principal, on: table, writing: true)
        // Before the transaction: a password is hashed here, without holding the row lock.
        let changed = try await Self.storable(patch.filter { table.resource.field($0.key)?.access != .readOnly }, for: table)
        return try await translatingErrors(for: table) {
            try await pool.withTransaction(maxAttempts: Self.writeAttempts) { connection in
                let current = try await Self.lockForWrite(table, id: id, scope: scope, expectedVersion: expectedVersion, on: connection)
                let currentObject = try decodeObject(current.json)
                let merged: JSONObject
                switch table.resource.applyPatch(patch, to: currentObject) {
                case .success(let record): merged = record
                case .failure(let failure): throw RegistryError.invalid(failure.errors)
                }
                guard !changed.isEmpty else { return current }
                try await table.hooks.beforeUpdate(currentObject, merged, connection)
                try await Self.write(changed, merged: merged, to: table, id: id, on: connection)
                guard let updated = try await Self.read(table, id: id, scope: nil, on: connection) else {
                    throw RegistryError.notFound(resource: resource, id: id)
                }
                try await table.hooks.updated(current, updated, principal, connection)
                return updated
            }
        }
    }

    /// Deletes a row, if it is still at `expectedVersion` and nothing refers to it.
    /// - Throws: ``RegistryError`` (`notFound`, `versionMismatch`, `stillReferenced`, `notAllowed`).
    public func delete(_ resource: String, id: Int, expectedVersion: Int, as principal: Principal) async throws {
        let table = Self.table(resource)
        guard table.resource.isDeletable else {
            throw RegistryError.notAllowed("\(resource) cannot be deleted; disable or retire them with PATCH")
        }
        let scope = try Self.scope(of: principal, on: table, writing: true)
        try await translatingErrors(for: table) {
            try await pool.withTransaction { connection in
                _ = try await Self.lockForWrite(table, id: id, scope: scope, expectedVersion: expectedVersion, on: connection)
                try await connection.execute("DELETE FROM \(identifier: table.table) WHERE id = \(id)")
            }
        }
    }

    /// Locks the row and checks its version: the row as it is now.
    static func lockForWrite(
        _ table: RegistryTable, id: Int, scope: PGQuery?, expectedVersion: Int, on connection: PGConnection
    ) async throws -> StoredRecord {
        let condition: PGQuery = scope.map { " AND " + $0 } ?? ""
        let locked = try await connection.query(
            "SELECT version FROM \(identifier: table.table) WHERE id = \(id)" + condition + " FOR UPDATE"
        )
        guard !locked.isEmpty, let current = try await read(table, id: id, scope: nil, on: connection) else {
            throw RegistryError.notFound(resource: table.resource.name, id: id)
        }
        guard current.version == expectedVersion else { throw RegistryError.versionMismatch(current: current) }
        return current
    }

    // MARK: SQL

    /// The record as stored: write-only fields turned into their columns (a password into its bcrypt hash).
    static func storable(_ record: JSONObject, for table: RegistryTable) async throws -> JSONObject {
        var stored = record
        if case .string(let password)? = record["password"] {
            stored["password"] = nil
            stored["password_hash"] = .string(try await PasswordHash.make(password))
        } else if record["password"] == .null {
            stored["password"] = nil
            stored["password_hash"] = .null
        }
        return stored
    }

    /// The columns of `record` that `table` stores directly, in field order.
    static func columns(of record: JSONObject, in table: RegistryTable) -> [String] {
        (table.columnFields.map(\.name) + table.derivedColumns).filter { record[$0] != nil }
    }

    /// A record as compact JSON text.
    static func encoded(_ record: JSONObject) -> String {
        JSONValue.object(record).jsonText
    }

    static func insert(
        _ record: JSONObject, into table: RegistryTable, on connection: PGConnection, extraColumns: [String] = []
    ) async throws -> Int {
        let columns = columns(of: record, in: table) + extraColumns.filter { record[$0] != nil }
        let list = PGQuery.joined(columns.map { "\(identifier: $0)" }, separator: ", ")
        let json = encoded(record)
        let query: PGQuery = columns.isEmpty
            ? "INSERT INTO \(identifier: table.table) DEFAULT VALUES RETURNING id"
            : "INSERT INTO \(identifier: table.table) (" + list + ") SELECT " + list
                + " FROM jsonb_populate_record(NULL::\(identifier: table.table), \(json)::jsonb) RETURNING id"
        guard let id = try await connection.query(query).first?.decode(Int.self, at: 0) else {
            throw PGError(kind: .decoding, message: "INSERT returned no id")
        }
        try await writeLinks(record, of: table, id: id, replacing: false, on: connection)
        return id
    }

    static func write(
        _ changed: JSONObject, merged: JSONObject, to table: RegistryTable, id: Int, on connection: PGConnection
    ) async throws {
        let columns = columns(of: changed, in: table)
        if !columns.isEmpty {
            let list = PGQuery.joined(columns.map { "\(identifier: $0)" }, separator: ", ")
            let json = encoded(changed)
            try await connection.execute(
                "UPDATE \(identifier: table.table) SET (" + list + ") = (SELECT " + list
                    + " FROM jsonb_populate_record(NULL::\(identifier: table.table), \(json)::jsonb)) WHERE id = \(id)"
            )
        } else {
            // A change to links only still makes a new version of the row.
            try await connection.execute("UPDATE \(identifier: table.table) SET updated_at = now() WHERE id = \(id)")
        }
        try await writeLinks(changed, of: table, id: id, replacing: true, on: connection)
    }

    static func writeLinks(
        _ record: JSONObject, of table: RegistryTable, id: Int, replacing: Bool, on connection: PGConnection
    ) async throws {
        for (field, link) in table.links.sorted(by: { $0.key < $1.key }) {
            guard let value = record[field] else { continue }
            if replacing {
                try await connection.execute("DELETE FROM \(identifier: link.table) WHERE \(identifier: link.ownerColumn) = \(id)")
            }
            guard case .array(let items) = value, !items.isEmpty else { continue }
            let ids = items.compactMap(\.integerValue)
            try await connection.execute("""
                INSERT INTO \(identifier: link.table) (\(identifier: link.ownerColumn), \(identifier: link.targetColumn))
                SELECT \(id), target FROM unnest(\(ids)::bigint[]) AS target
                """)
        }
    }

    /// Turns constraint violations into ``RegistryError``s naming the field at fault.
    func translatingErrors<Result>(for table: RegistryTable, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PGError {
            guard let sqlState = error.sqlState, sqlState.errorClass == "23" else { throw error }
            let field = table.field(forConstraint: error.constraint, column: error.column) ?? error.column ?? "request"
            switch sqlState {
            case .uniqueViolation:
                throw RegistryError.duplicate(FieldError(field: field, message: "is already used by another record"))
            case .foreignKeyViolation where (error.detail ?? "").contains("is still referenced"):
                throw RegistryError.stillReferenced(error.detail ?? error.message)
            case .foreignKeyViolation:
                throw RegistryError.invalid([FieldError(field: field, message: "refers to a record that does not exist")])
            case .exclusionViolation:
                throw RegistryError.conflict(FieldError(field: field, message: "overlaps another booking: \(error.detail ?? error.message)"))
            case .notNullViolation:
                throw RegistryError.invalid([FieldError(field: field, message: "must not be null")])
            default:
                throw RegistryError.invalid([FieldError(field: field, message: error.message)])
            }
        }
    }
}
