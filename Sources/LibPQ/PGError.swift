/// A five-character PostgreSQL error code (SQLSTATE), with the conditions Truckroll acts on named.
///
/// New codes need no new case: any SQLSTATE the server sends is representable.
public struct SQLState: Hashable, Sendable, CustomStringConvertible {
    /// The five characters, e.g. `23505`.
    public let rawValue: String

    /// Wraps a code sent by the server.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The two-character class, e.g. `23` for integrity constraint violations.
    public var errorClass: Substring { rawValue.prefix(2) }

    public var description: String { rawValue }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let checkViolation = SQLState("23514")
    public static let notNullViolation = SQLState("23502")
    public static let exclusionViolation = SQLState("23P01")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let queryCanceled = SQLState("57014")
    public static let adminShutdown = SQLState("57P01")
    public static let crashShutdown = SQLState("57P02")
    public static let cannotConnectNow = SQLState("57P03")
    public static let lockNotAvailable = SQLState("55P03")
    public static let invalidPassword = SQLState("28P01")
    public static let invalidAuthorization = SQLState("28000")
    public static let invalidCatalogName = SQLState("3D000")
    public static let undefinedTable = SQLState("42P01")
    public static let cachedPlanChanged = SQLState("0A000")
}

/// Every failure of the libpq layer.
///
/// `description` is deliberately generic so that nothing from the database (values, table contents)
/// leaks into an HTTP response by accident; `debugDescription` carries everything for logs and tests.
public struct PGError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, in broad terms.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration, connectionFailed, connectionLost, server, decoding, poolTimeout, poolClosed, copyFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connection settings could not be parsed.
        public static let invalidConfiguration = Kind(.invalidConfiguration)
        /// A new connection could not be opened (unreachable host, bad credentials, missing database).
        public static let connectionFailed = Kind(.connectionFailed)
        /// An open connection broke (server restarted, backend terminated, network failure).
        public static let connectionLost = Kind(.connectionLost)
        /// The server rejected a statement; see `sqlState`.
        public static let server = Kind(.server)
        /// A value could not be decoded into the requested Swift type.
        public static let decoding = Kind(.decoding)
        /// No pooled connection became free within the lease timeout.
        public static let poolTimeout = Kind(.poolTimeout)
        /// The pool has been shut down.
        public static let poolClosed = Kind(.poolClosed)
        /// A `COPY` failed on the client side.
        public static let copyFailed = Kind(.copyFailed)

        public var description: String { base.rawValue }
    }

    /// The broad kind of failure.
    public var kind: Kind
    /// The server's SQLSTATE, when the server sent one.
    public var sqlState: SQLState?
    /// The primary message (from the server or libpq).
    public var message: String
    /// The server's DETAIL field; may contain row data, so it is only in `debugDescription`.
    public var detail: String?
    /// The server's HINT field.
    public var hint: String?
    /// The name of the violated constraint, for integrity errors.
    public var constraint: String?
    /// The table concerned, when the server names one.
    public var table: String?
    /// The column concerned, for decoding failures or when the server names one.
    public var column: String?

    /// Creates an error; normally done by the wrapper itself.
    public init(
        kind: Kind, sqlState: SQLState? = nil, message: String, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, table: String? = nil, column: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
    }

    public var description: String {
        if let sqlState { return "PostgreSQL error \(kind) (SQLSTATE \(sqlState))" }
        return "PostgreSQL error \(kind)"
    }

    public var debugDescription: String {
        var parts = ["PGError(\(kind)"]
        if let sqlState { parts.append("sqlState: \(sqlState)") }
        parts.append("message: \(message)")
        if let detail { parts.append("detail: \(detail)") }
        if let hint { parts.append("hint: \(hint)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        if let table { parts.append("table: \(table)") }
        if let column { parts.append("column: \(column)") }
        return parts.joined(separator: ", ") + ")"
    }

    /// A unique constraint was violated (23505).
    public var isUniqueViolation: Bool { sqlState == .uniqueViolation }
    /// A foreign key was violated (23503).
    public var isForeignKeyViolation: Bool { sqlState == .foreignKeyViolation }
    /// A check constraint was violated (23514).
    public var isCheckViolation: Bool { sqlState == .checkViolation }
    /// An exclusion constraint was violated (23P01), e.g. overlapping bookings.
    public var isExclusionViolation: Bool { sqlState == .exclusionViolation }
    /// The transaction could not be serialised (40001).
    public var isSerializationFailure: Bool { sqlState == .serializationFailure }
    /// The transaction was chosen as a deadlock victim (40P01).
    public var isDeadlock: Bool { sqlState == .deadlockDetected }
    /// The statement was cancelled (57014): statement timeout or an explicit cancel.
    public var isQueryCanceled: Bool { sqlState == .queryCanceled }
    /// Retrying the whole transaction may succeed (40001 or 40P01).
    public var isTransactionRetryable: Bool { isSerializationFailure || isDeadlock }
    /// The connection is gone or the server is going away; a new connection may succeed later.
    public var isConnectionLost: Bool {
        if kind == .connectionLost || kind == .connectionFailed { return true }
        guard let sqlState else { return false }
        return sqlState.errorClass == "08" || sqlState == .adminShutdown || sqlState == .crashShutdown
            || sqlState == .cannotConnectNow
    }
}
