import ArgumentParser
import Foundation
import NIOSSL
import TruckrollClient
import TruckrollDomain

/// How the CLI reaches the API: flags, then `TRUCKROLL_SERVER` / `TRUCKROLL_TOKEN`, then the file `truckroll login` wrote.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("API base URL (env TRUCKROLL_SERVER; default: from truckroll login).", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("API token (env TRUCKROLL_TOKEN; default: from truckroll login).", valueName: "token"))
    var token: String?

    @OptionGroup var trust: TrustOptions

    func client() throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        let stored = try StoredCredentials.load(environment: environment)
        guard let serverText = server ?? environment["TRUCKROLL_SERVER"] ?? stored?.server,
            let url = URL(string: serverText), url.scheme == "http" || url.scheme == "https"
        else { throw ValidationError("no server: run truckroll login --server URL --username NAME, or pass --server") }
        guard let token = token ?? environment["TRUCKROLL_TOKEN"] ?? stored?.token else {
            throw ValidationError("no token: run truckroll login, or set TRUCKROLL_TOKEN")
        }
        return APIClient(server: url, token: token, certificateAuthorityFile: try trust.file() ?? stored?.certificateAuthorityFile)
    }
}

/// The certificate authority an `https` server's certificate is checked against, besides the system's.
struct TrustOptions: ParsableArguments {
    @Option(name: .customLong("ca-file"), help: ArgumentHelp(
        "PEM file of the CA that signed the server's certificate, or the self-signed certificate itself "
            + "(env TRUCKROLL_CA_FILE; default: from truckroll login, then the system's authorities only).",
        valueName: "path"
    ))
    var caFile: String?

    /// The flag, else `TRUCKROLL_CA_FILE`, as an absolute path; checked to hold a PEM certificate.
    func file() throws -> String? {
        guard let path = caFile ?? ProcessInfo.processInfo.environment["TRUCKROLL_CA_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return nil
        }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let certificates = try? NIOSSLCertificate.fromPEMFile(absolute), !certificates.isEmpty else {
            throw ValidationError("--ca-file: \(path) is not a readable PEM certificate file")
        }
        return absolute
    }
}

/// A resource named on the command line: `units`, `unit`, `equipment-models`, `equipment-model` …
struct ResourceName: ExpressibleByArgument {
    let resource: Resource

    init?(argument: String) {
        let name = argument.lowercased().replacingOccurrences(of: "_", with: "-")
        guard let resource = Registry.resources.first(where: {
            $0.name == name || $0.singular.replacingOccurrences(of: " ", with: "-") == name
        }) else { return nil }
        self.resource = resource
    }

    static var allValueStrings: [String] { Registry.resources.map(\.name) }
}

/// `--set field=value` arguments, typed by the resource's fields (`--set status=down --set latitude=48.85`).
func record(from assignments: [String], unset: [String] = [], file: String?, for resource: Resource) throws -> JSONObject {
    var record: JSONObject = [:]
    if let file {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        guard case .object(let object)? = JSONValue(parsing: text) else { throw ValidationError("\(file) does not hold a JSON object") }
        record = object
    }
    for assignment in assignments {
        guard let equals = assignment.firstIndex(of: "=") else { throw ValidationError("--set \(assignment): write field=value") }
        let name = String(assignment[..<equals])
        guard let field = resource.field(name), field.access != .readOnly else {
            throw ValidationError("--set \(name): not a field you can set on \(resource.name)")
        }
        switch field.type.jsonValue(fromText: String(assignment[assignment.index(after: equals)...])) {
        case .success(let value): record[name] = value ?? .null
        case .failure(let error): throw ValidationError("--set \(name): \(error.message)")
        }
    }
    for name in unset { record[name] = .null }
    return record
}

/// Runs a client command body, one line on standard error and a non-zero exit on failure.
func runClient(_ body: () async throws -> Void) async throws {
    try await reportingFailures {
        do {
            try await body()
        } catch let problem as APIProblem {
            throw ValidationError(problem.description)
        } catch let failure as ConnectionFailure where failure.isTLS {
            throw ValidationError("cannot reach the server: \(failure); if you trust it, pass its CA with --ca-file (or TRUCKROLL_CA_FILE)")
        } catch let failure as ConnectionFailure {
            throw ValidationError("cannot reach the server: \(failure)")
        }
    }
}

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List records of a resource: truckroll list units --filter site=3."
    )

    @Argument(help: "The resource: \(Registry.resources.map(\.name).joined(separator: ", ")).") var resource: ResourceName
    @Option(name: .customLong("filter"), help: "A filter as name=value; repeatable.") var filters: [String] = []
    @Option(help: "At most this many records (default 50).") var limit: Int = 50
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let api = try client.client()
            var query: [(String, String)] = try filters.map { filter in
                guard let equals = filter.firstIndex(of: "=") else { throw ValidationError("--filter \(filter): write name=value") }
                return (String(filter[..<equals]), String(filter[filter.index(after: equals)...]))
            }
            var rows: [JSONObject] = []
            var cursor: String?
            repeat {
                query.removeAll { $0.0 == "after" || $0.0 == "limit" }
                query.append(("limit", String(min(1000, limit - rows.count))))
                if let cursor { query.append(("after", cursor)) }
                let page = try await api.send("GET", "v1/\(resource.resource.name)", query: query).json()
                guard case .object(let object) = page, case .array(let items)? = object["items"] else { break }
                for case .object(let item) in items { rows.append(item) }
                cursor = object["next_cursor"]?.stringValue
            } while cursor != nil && rows.count < limit
            if json { Output.json(.array(rows.map(JSONValue.object))) } else { Output.table(rows, columns: Output.columns(for: resource.resource)) }
        }
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one record: truckroll show unit 12.")

    @Argument(help: "The resource.") var resource: ResourceName
    @Argument(help: "The record's id.") var id: Int
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let value = try await client.client().send("GET", "v1/\(resource.resource.name)/\(id)").json()
            printRecord(value, resource: resource.resource, json: json)
        }
    }
}

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a record: truckroll create customer --set code=ACME --set name=\"Acme Corp\"."
    )

    @Argument(help: "The resource.") var resource: ResourceName
    @Option(name: .customLong("set"), help: "A field as name=value; repeatable.") var assignments: [String] = []
    @Option(help: "A JSON file with the record's fields (--set values override it).") var file: String?
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let body = try record(from: assignments, file: file, for: resource.resource)
            let key = UUID().uuidString
            let value = try await client.client().send(
                "POST", "v1/\(resource.resource.name)", body: .object(body), headers: ["Idempotency-Key": key]
            ).json()
            printRecord(value, resource: resource.resource, json: json)
        }
    }
}

struct EditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit", abstract: "Change fields of a record: truckroll edit unit 12 --set status=down."
    )

    @Argument(help: "The resource.") var resource: ResourceName
    @Argument(help: "The record's id.") var id: Int
    @Option(name: .customLong("set"), help: "A field as name=value; repeatable.") var assignments: [String] = []
    @Option(name: .customLong("unset"), help: "A field to clear; repeatable.") var unset: [String] = []
    @Option(help: "A JSON file with the fields to change.") var file: String?
    @Option(name: .customLong("if-match"), help: "Apply only if the record is still at this ETag (default: as just read).")
    var ifMatch: String?
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let patch = try record(from: assignments, unset: unset, file: file, for: resource.resource)
            guard !patch.isEmpty else { throw ValidationError("nothing to change: give --set, --unset or --file") }
            let api = try client.client()
            let path = "v1/\(resource.resource.name)/\(id)"
            var etag = ifMatch
            if etag == nil { etag = try await api.send("GET", path).headers["etag"] }
            let value = try await api.send("PATCH", path, body: .object(patch), headers: ["If-Match": etag ?? ""]).json()
            printRecord(value, resource: resource.resource, json: json)
        }
    }
}

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a record (or revoke a token).")

    @Argument(help: "The resource.") var resource: ResourceName
    @Argument(help: "The record's id.") var id: Int
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let api = try client.client()
            let path = "v1/\(resource.resource.name)/\(id)"
            let etag = try await api.send("GET", path).headers["etag"] ?? ""
            _ = try await api.send("DELETE", path, headers: ["If-Match": etag])
            print("deleted \(resource.resource.singular) \(id)")
        }
    }
}

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Sign in with a password and keep the token for later commands (file mode 0600)."
    )

    @Option(help: ArgumentHelp("API base URL, e.g. http://127.0.0.1:8080.", valueName: "url")) var server: String
    @Option(help: "Sign-in name.") var username: String
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input instead of the terminal.")
    var passwordFromStandardInput = false
    @OptionGroup var trust: TrustOptions

    func run() async throws {
        try await runClient {
            guard let url = URL(string: server), url.scheme == "http" || url.scheme == "https" else {
                throw ValidationError("--server must be an http:// or https:// URL")
            }
            let password: String
            if passwordFromStandardInput {
                password = readLine(strippingNewline: true) ?? ""
            } else {
                guard let typed = getpass("Password for \(username): ") else { throw ValidationError("no password given") }
                password = String(cString: typed)
            }
            let host = ProcessInfo.processInfo.hostName
            let certificateAuthorityFile = try trust.file()
            let response = try await APIClient(server: url, token: nil, certificateAuthorityFile: certificateAuthorityFile).send(
                "POST", "v1/login", body: .object(["username": .string(username), "password": .string(password), "token_name": .string("cli on \(host)")])
            ).json()
            guard case .object(let token) = response, let secret = token["secret"]?.stringValue else {
                throw ValidationError("the server did not return a token")
            }
            let environment = ProcessInfo.processInfo.environment
            try StoredCredentials(server: server, token: secret, certificateAuthorityFile: certificateAuthorityFile).save(environment: environment)
            print("signed in as \(username); token kept in \(StoredCredentials.path(environment: environment))")
        }
    }
}

/// Prints a record as JSON or as `field: value` lines.
func printRecord(_ value: JSONValue, resource: Resource, json: Bool) {
    guard !json, case .object(var object) = value else {
        Output.json(value)
        return
    }
    var fields = resource.fields.map(\.name)
    if let secret = object["secret"] {
        fields.append("secret")
        object["secret"] = secret
    }
    Output.record(object, fields: fields)
}
