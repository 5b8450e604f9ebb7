import ArgumentParser
import Foundation
import LibPQ
import Logging
import TruckrollDomain
import TruckrollServer
import TruckrollStore

/// `truckroll admin`: users and tokens, managed by an operator directly on the database.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Manage users and API tokens, and refresh report summaries, directly on the database (operators).",
        subcommands: [UserCommand.self, TokenCommand.self, RefreshReports.self]
    )

    /// `truckroll admin refresh-reports`: brings the reports' stored summaries up to date now.
    struct RefreshReports: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "refresh-reports",
            abstract: "Bring the reports' stored summaries up to date (serve also does it every TRUCKROLL_REPORTS_REFRESH_SECONDS).",
            discussion: "Reports are right without it (calls without a current summary are computed directly); it makes them faster."
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await withOperatorStore(database) { pool in
                let started = ContinuousClock.now
                let written = try await SLAOutcomeStore(pool: pool).refresh()
                print(String(format: "refreshed %d SLA outcomes in %.1f s", written, (ContinuousClock.now - started).seconds))
            }
        }
    }

    struct UserCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Add, list and disable users.", subcommands: [Add.self, List.self, Disable.self]
        )

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a user.")

            @Option(help: "Sign-in name.") var username: String
            @Option(help: "admin, support_agent, dispatcher, technician, vendor_coordinator or manager.") var role: String
            @Option(name: .customLong("display-name"), help: "Name shown in the interface.") var displayName: String?
            @Option(name: .customLong("technician-id"), help: "For role technician: the technician's id.") var technicianID: Int?
            @Option(name: .customLong("vendor-id"), help: "For role vendor_coordinator: the vendor's id.") var vendorID: Int?
            @Flag(name: .customLong("password-stdin"), help: "Read a sign-in password from standard input.") var passwordFromStandardInput = false
            @OptionGroup var database: DatabaseOptions

            func run() async throws {
                try await withOperatorStore(database) { pool in
                    let access = AccessStore(pool: pool)
                    var record: JSONObject = ["username": .string(username), "role": .string(role)]
                    record["display_name"] = displayName.map(JSONValue.string)
                    record["technician_id"] = technicianID.map { .number(Double($0)) }
                    record["vendor_id"] = vendorID.map { .number(Double($0)) }
                    if passwordFromStandardInput { record["password"] = .string(readLine(strippingNewline: true) ?? "") }
                    let user = try await access.addUser(record)
                    print("added user \(username) (id \(user.id), role \(role))")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List users.")

            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var database: DatabaseOptions

            func run() async throws {
                try await withOperatorStore(database) { pool in
                    let registry = RegistryStore(pool: pool)
                    try await printAll("users", registry: registry, json: json)
                }
            }
        }

        struct Disable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Disable a user: their tokens stop working at once.")

            @Argument(help: "The user's sign-in name.") var username: String
            @OptionGroup var database: DatabaseOptions

            func run() async throws {
                try await withOperatorStore(database) { pool in
                    let registry = RegistryStore(pool: pool)
                    let page = try await registry.list("users", filters: ["username": username], after: nil, limit: 1, as: .operator)
                    guard let user = try page.items.first.map(decodeObject), let id = user["id"]?.integerValue,
                        let version = user["version"]?.integerValue
                    else { throw ValidationError("no user named \(username)") }
                    _ = try await registry.update("users", id: id, patch: ["disabled": true], expectedVersion: version, as: .operator)
                    print("disabled user \(username)")
                }
            }
        }
    }

    struct TokenCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token", abstract: "Create, list and revoke API tokens.", subcommands: [Create.self, List.self, Revoke.self]
        )

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a token; its secret is printed once, never stored.")

            @Option(help: "The user's sign-in name.") var user: String
            @Option(help: "What the token is for.") var name: String = "cli"
            @Option(name: .customLong("expires-in-days"), help: "Days until it expires (default: never).") var expiresInDays: Int?
            @OptionGroup var database: DatabaseOptions

            func run() async throws {
                if let expiresInDays, expiresInDays <= 0 { throw ValidationError("--expires-in-days must be positive") }
                try await withOperatorStore(database) { pool in
                    let access = AccessStore(pool: pool)
                    let expiry = expiresInDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
                    let (token, secret) = try await access.createToken(forUsername: user, name: name, expiresAt: expiry)
                    FileHandle.standardError.write(Data("token \(token.id) for \(user); the secret is shown only now:\n".utf8))
                    print(secret.value)
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var database: DatabaseOptions

            func run() async throws {
                try await withOperatorStore(database) { pool in
                    let registry = RegistryStore(pool: pool)
                    try await printAll("tokens", registry: registry, json: json)
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a token: it stops working at once.")

            @Argument(help: "The token's id (from admin token list).") var id: Int
            @OptionGroup var database: DatabaseOptions

            func run() async throws {
                try await withOperatorStore(database) { pool in
                    let access = AccessStore(pool: pool)
                    _ = try await access.revokeToken(id: id, as: .operator)
                    print("revoked token \(id)")
                }
            }
        }
    }
}

/// Runs `body` with a pool on the configured (or embedded, migrated) database, as the operator.
func withOperatorStore(
    _ options: DatabaseOptions, _ body: (PGPool) async throws -> Void
) async throws {
    try await reportingFailures {
        let configuration = try options.configuration()
        let logger = makeLogger(level: configuration.logLevel)
        try await withDatabase(configuration, migrateEmbedded: true, logger: logger) { database in
            let pool = PGPool(configuration: database, options: PGPool.Options(maxConnections: 2), logger: logger)
            do {
                try await body(pool)
            } catch {
                await pool.shutdown()
                throw error
            }
            await pool.shutdown()
        }
    }
}

/// Prints every row of a resource the operator sees, as a table or JSON.
func printAll(_ resource: String, registry: RegistryStore, json: Bool) async throws {
    var rows: [JSONObject] = []
    var cursor: Int?
    repeat {
        let page = try await registry.list(resource, filters: [:], after: cursor, limit: 1000, as: .operator)
        rows += try page.items.map(decodeObject)
        cursor = page.nextCursor
    } while cursor != nil
    if json {
        Output.json(.array(rows.map(JSONValue.object)))
    } else if let description = Registry.resource(named: resource) {
        Output.table(rows, columns: Output.columns(for: description))
    }
}

/// Decodes a record's JSON text.
func decodeObject(_ json: String) throws -> JSONObject {
    guard case .object(let object)? = JSONValue(parsing: json) else { throw ValidationError("unreadable record") }
    return object
}
