/// A kind of record the registry keeps (customers, units, technicians …): its fields, filters, rules and access.
///
/// One description drives everything about a resource: request validation, the API routes, the OpenAPI document,
/// the CLI and the CSV import. The store maps it to tables.
public struct Resource: Sendable {
    /// A cross-field rule, checked on the whole record after a create or an update is applied.
    public typealias Rule = @Sendable (JSONObject) -> [FieldError]

    /// A list filter: `?site=12` keeps rows whose `site_id` is 12.
    public struct Filter: Sendable {
        /// The query parameter.
        public let parameter: String
        /// The field it compares with.
        public let field: String
    }

    /// The path segment and plural name: `units`.
    public let name: String
    /// What one row is called in messages: `unit`.
    public let singular: String
    /// All fields, including the server-set `id`, `version`, `created_at` and `updated_at`.
    public let fields: [Field]
    /// List filters.
    public let filters: [Filter]
    /// Who may read and write.
    public let access: Access
    /// Whether rows can be deleted (`DELETE`), rather than only retired through a status.
    public let isDeletable: Bool
    /// Whether rows can be changed (`PATCH`); records of fact (device alerts) cannot.
    public let isUpdatable: Bool
    /// The status life cycle, for resources whose status moves through transitions.
    public let lifecycle: Lifecycle?
    /// Who may move the status, and on which rows (default: who may write).
    public let transitionAccess: [Role: Scope]
    let rules: [Rule]
    /// Rules on what a request changes (the new record, or the patch), not on the whole record.
    let changeRules: [Rule]

    init(
        name: String, singular: String, fields: [Field], filters: [(String, String)] = [], access: Access,
        deletable: Bool = true, updatable: Bool = true, lifecycle: Lifecycle? = nil, transitionAccess: [Role: Scope]? = nil,
        rules: [Rule] = [], changeRules: [Rule] = []
    ) {
        self.name = name
        self.singular = singular
        self.fields = [
            Field("id", .integer(1...Int.max), access: .readOnly, "Identifier, assigned by the server."),
            Field("version", .integer(1...Int.max), access: .readOnly, "Bumped by every change; the ETag is \"v<version>\"."),
            Field("created_at", .timestamp, access: .readOnly, "When it was created."),
            Field("updated_at", .timestamp, access: .readOnly, "When it last changed."),
        ] + fields
        self.filters = filters.map { Filter(parameter: $0.0, field: $0.1) }
        self.access = access
        self.isDeletable = deletable
        self.isUpdatable = updatable
        self.lifecycle = lifecycle
        self.transitionAccess = transitionAccess ?? access.write
        self.rules = rules
        self.changeRules = changeRules
    }

    /// Fields a client may send.
    public var writableFields: [Field] { fields.filter { $0.access != .readOnly } }

    /// The field named `name`.
    public func field(_ name: String) -> Field? { fields.first { $0.name == name } }

    /// Checks a new record: every required field, every value, and the cross-field rules.
    /// - Returns: Every problem found; empty when the record can be stored.
    public func validateCreate(_ record: JSONObject) -> [FieldError] {
        let errors = validate(record, against: fields, path: "", isCreate: true)
        return errors.isEmpty ? (rules + changeRules).flatMap { $0(record) } : errors
    }

    /// Checks a merge patch (RFC 7396: given fields replace, `null` clears) against the current record.
    /// - Returns: The record as it would be stored, or every problem found.
    public func applyPatch(_ patch: JSONObject, to current: JSONObject) -> Result<JSONObject, ValidationFailure> {
        let errors = validate(patch, against: fields, path: "", isCreate: false)
        guard errors.isEmpty else { return .failure(ValidationFailure(errors: errors)) }
        var merged = current
        for (key, value) in patch where field(key)?.access != .readOnly {
            merged[key] = value
        }
        let ruleErrors = rules.flatMap { $0(merged) } + changeRules.flatMap { $0(patch) }
        return ruleErrors.isEmpty ? .success(merged) : .failure(ValidationFailure(errors: ruleErrors))
    }
}

extension Resource {
    /// Checks an object against ad-hoc fields (the body of an action such as a stock transfer).
    public static func validateAction(_ object: JSONObject, fields: [Field]) -> [FieldError] {
        TruckrollDomain.validate(object, against: fields, path: "", isCreate: true)
    }
}

/// Every problem with a record.
public struct ValidationFailure: Error, Sendable, Equatable {
    public let errors: [FieldError]

    public init(errors: [FieldError]) { self.errors = errors }
}
