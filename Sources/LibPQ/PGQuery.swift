/// An SQL statement whose values travel as bound parameters, never as SQL text.
///
/// Built by string interpolation: literal parts are SQL, and every interpolated value becomes `$n` plus a bind.
/// Only ``PGEncodable`` values can be interpolated, so a value cannot end up in the SQL by accident:
///
/// ```swift
/// let rows = try await connection.query("SELECT name FROM site WHERE customer_id = \(customerID) AND active = \(true)")
/// ```
///
/// A query can embed another (`"… WHERE \(filter)"`); its parameters are renumbered. SQL that is not a
/// literal cannot enter a query at all; trusted scripts (migration files) go through
/// ``PGConnection/unsafeExecuteScript(_:)``, whose name says what it is.
public struct PGQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible, CustomDebugStringConvertible {
    enum Segment: Sendable {
        case sql(String)
        case bind(PGBind)
    }

    private(set) var segments: [Segment]

    public init(stringLiteral value: String) {
        segments = [.sql(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        segments = stringInterpolation.segments
    }

    /// The statement text with `$1`, `$2`, … in place of the values.
    public var sql: String { render().sql }

    /// The bound parameters, in `$n` order.
    public var binds: [PGBind] { render().binds }

    func render() -> (sql: String, binds: [PGBind]) {
        var sql = ""
        var binds: [PGBind] = []
        for segment in segments {
            switch segment {
            case .sql(let text): sql += text
            case .bind(let bind):
                binds.append(bind)
                sql += "$\(binds.count)"
            }
        }
        return (sql, binds)
    }

    /// The SQL with values redacted, safe to log.
    public var description: String {
        let rendered = render()
        return rendered.binds.isEmpty ? rendered.sql : "\(rendered.sql) [\(rendered.binds.count) bound values: ****]"
    }

    /// Same as `description`: bound values never print.
    public var debugDescription: String { description }

    /// Appends another query, renumbering its parameters.
    public static func + (lhs: PGQuery, rhs: PGQuery) -> PGQuery {
        var result = lhs
        result.segments += rhs.segments
        return result
    }

    /// Joins queries with a separator, e.g. filter conditions with `" AND "`.
    public static func joined(_ parts: [PGQuery], separator: String) -> PGQuery {
        var result = PGQuery(stringLiteral: "")
        for (index, part) in parts.enumerated() {
            if index > 0 { result.segments.append(.sql(separator)) }
            result.segments += part.segments
        }
        return result
    }

    /// Collects literal SQL and bound values while a query literal is interpolated.
    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var segments: [Segment] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            segments.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            segments.append(.sql(literal))
        }

        /// Appends a value as a bound parameter.
        public mutating func appendInterpolation(_ value: some PGEncodable) {
            segments.append(.bind(value.pgBind))
        }

        /// Appends an optional value as a bound parameter; `nil` binds SQL NULL.
        public mutating func appendInterpolation<Wrapped: PGEncodable>(_ value: Wrapped?) {
            segments.append(.bind(value.pgBind))
        }

        /// Appends a nested query, keeping its values bound.
        public mutating func appendInterpolation(_ query: PGQuery) {
            segments += query.segments
        }

        /// Appends an identifier (table or column name), double-quoted and escaped; never a value.
        public mutating func appendInterpolation(identifier: String) {
            segments.append(.sql(PGQuery.quoteIdentifier(identifier)))
        }
    }

    /// Quotes an SQL identifier: `a"b` becomes `"a""b"`.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
