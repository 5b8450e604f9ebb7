import CLibPQ

/// Where and how to connect: a `postgresql://` URL, a `key=value` connection string, or individual settings.
///
/// Settings are handed to `PQconnectdbParams` as keyword/value pairs, never spliced into a connection string,
/// so a password containing `@`, spaces or quotes works as is.
public struct PGConnectionConfiguration: Sendable {
    /// Keyword/value pairs in the order libpq reads them; later pairs win.
    var parameters: [(keyword: String, value: String)]

    /// Whether statements with bound values are prepared once per connection and reused by name (the default).
    ///
    /// Set it to `false` behind a pooler that hands each transaction to any server connection, such as PgBouncer in
    /// transaction mode before 1.21 (or without `max_prepared_statements`): a named statement prepared on one server
    /// connection does not exist on the next. Every statement is then sent as an unnamed one with its values, in a
    /// single round trip, and planned each time.
    public var cachesPreparedStatements = true

    /// Seconds libpq waits for a server before giving up (libpq's `connect_timeout`).
    public static let defaultConnectTimeout = 5

    /// Parses a `postgresql://` (or `postgres://`) URL or a `key=value` connection string.
    /// - Parameters:
    ///   - url: The URL or connection string.
    ///   - applicationName: Shown in `pg_stat_activity`.
    /// - Throws: ``PGError`` of kind `.invalidConfiguration` with libpq's reason, without echoing the URL
    ///   (it may hold a password).
    public init(url: String, applicationName: String = "truckroll") throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errorMessage) else {
            // libpq quotes the whole URI in some messages; it may hold a password.
            let reason = (errorMessage.map { String(cString: $0) } ?? "unparseable")
                .split(separator: url, omittingEmptySubsequences: false).joined(separator: "<the URL>")
            if let errorMessage { PQfreemem(errorMessage) }
            throw PGError(
                kind: .invalidConfiguration,
                message: "invalid database URL: \(reason.trimmingTrailingNewlines())"
            )
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "port", let value = option.pointee.val {
                for port in String(cString: value).split(separator: ",", omittingEmptySubsequences: false) {
                    guard let number = Int(port), (1...65535).contains(number) else {
                        throw PGError(kind: .invalidConfiguration, message: "invalid database URL: port must be 1-65535")
                    }
                }
            }
            option += 1
        }
        parameters = [
            ("connect_timeout", String(Self.defaultConnectTimeout)),
            ("application_name", applicationName),
            ("dbname", url),
            ("client_encoding", "UTF8"),
        ]
    }

    /// Individual settings.
    /// - Parameters:
    ///   - host: Host name, IP address or Unix-socket directory.
    ///   - port: TCP port.
    ///   - user: Role to log in as.
    ///   - password: Its password, if the server asks for one.
    ///   - database: Database name.
    ///   - applicationName: Shown in `pg_stat_activity`.
    public init(
        host: String, port: Int, user: String, password: String?, database: String,
        applicationName: String = "truckroll"
    ) {
        parameters = [
            ("connect_timeout", String(Self.defaultConnectTimeout)),
            ("application_name", applicationName),
            ("host", host),
            ("port", String(port)),
            ("user", user),
            ("dbname", database),
            ("client_encoding", "UTF8"),
        ]
        if let password { parameters.append(("password", password)) }
    }

    /// The same server and credentials, but another database.
    public func with(database: String) -> PGConnectionConfiguration {
        var copy = self
        // A later `dbname` that is a plain name (no `=` or URL scheme) only replaces the database.
        copy.parameters.append(("dbname", database))
        return copy
    }

    /// `host:port/database` and user, without the password: safe to log or print.
    public var redactedDescription: String {
        let resolved = resolvedSettings()
        let user = resolved["user"].map { "\($0)@" } ?? ""
        let host = resolved["host"] ?? "localhost"
        let port = resolved["port"] ?? "5432"
        let database = resolved["dbname"] ?? ""
        return "postgresql://\(user)\(host):\(port)/\(database)"
    }

    /// The value libpq would use for a connection keyword (`host`, `port`, `user`, `dbname`, …), URL expansion applied.
    /// - Parameter keyword: A libpq connection keyword.
    /// - Returns: The value, or `nil` when unset. `password` returns the secret itself: never log it.
    public func setting(_ keyword: String) -> String? {
        resolvedSettings()[keyword]
    }

    /// The settings libpq would use, with URL expansion applied (password included: do not log).
    func resolvedSettings() -> [String: String] {
        var settings: [String: String] = [:]
        for (keyword, value) in parameters {
            if keyword == "dbname", value.contains("=") || value.contains("://") {
                var errorMessage: UnsafeMutablePointer<CChar>?
                if let options = PQconninfoParse(value, &errorMessage) {
                    var option = options
                    while let key = option.pointee.keyword {
                        if let setting = option.pointee.val { settings[String(cString: key)] = String(cString: setting) }
                        option += 1
                    }
                    PQconninfoFree(options)
                }
                if let errorMessage { PQfreemem(errorMessage) }
            } else {
                settings[keyword] = value
            }
        }
        return settings
    }
}

extension String {
    /// libpq's multi-line messages ("…failed: Connection refused\n\tIs the server running…") on one line.
    func singleLine() -> String {
        split(whereSeparator: \.isNewline)
            .map { line in line.drop(while: \.isWhitespace) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }

    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
