import Foundation
import HTTPTypes
import Hummingbird
import InMemoryLogging
import LibPQ
import Logging
import Testing
import TruckrollAPI
import TruckrollDomain
import TruckrollServer
import TruckrollStore
import TruckrollTestSupport

/// The registry API over HTTP against a real PostgreSQL: CRUD, validation, versions, idempotency, tokens.
@Suite struct RegistryAPITests {
    /// Runs `body` with a server on a fresh database holding the fixture; `http` carries the admin token.
    func withRegistry(
        logger: Logger = TestDatabase.silentLogger, _ body: @Sendable (TestHTTP, RegistryFixture, PGPool) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database, logger: logger) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                try await body(TestHTTP(base: base, token: fixture.tokens["admin"]), fixture, pool)
            }
        }
    }

    /// Rows of the registry's tables, as text: what "nothing stored changed" compares. Tokens are left out: they
    /// change as they are used (`last_used_at`).
    static func snapshot(_ pool: PGPool) async throws -> [String] {
        try await rows(of: ["customer", "department", "site", "part", "equipment_model", "unit", "meter_reading", "vendor",
                            "vendor_contract", "service_contract", "technician", "depot", "vehicle", "stock_item", "app_user",
                            "service_contract_unit", "vendor_contract_unit", "vendor_contract_equipment_model", "idempotency_key",
                            "service_request", "visit", "visit_part", "rma", "device_alert", "event"], in: pool)
    }

    /// Every row of `tables`, as JSON text, in order.
    static func rows(of tables: [String], in pool: PGPool) async throws -> [String] {
        var rows: [String] = []
        for table in tables {
            rows += try await pool.query("SELECT to_jsonb(t)::text FROM \(identifier: table) t ORDER BY 1").map { try $0.decode(String.self, at: 0) }
        }
        return rows
    }

    @Test func createReadListUpdateDeleteWithVersions() async throws {
        try await withRegistry { http, fixture, _ in
            let created = try await http.send("POST", "/v1/customers", json: ["code": "GLOBEX", "name": "Globex", "contact": ["name": "Hank", "phone": "555-0100"]])
            #expect(created.status == 201)
            #expect(created.headers["etag"] == "\"v1\"")
            let id = try #require(created.object["id"] as? Int)
            #expect(created.headers["location"] == "/v1/customers/\(id)")

            let read = try await http.send("GET", "/v1/customers/\(id)")
            #expect(read.status == 200 && read.object["name"] as? String == "Globex")

            let filtered = try await http.send("GET", "/v1/units?site=\(fixture["site"])&status=in_service&limit=1")
            #expect(filtered.items.count == 1)
            let cursor = try #require(filtered.object["next_cursor"] as? String)
            let next = try await http.send("GET", "/v1/units?site=\(fixture["site"])&status=in_service&limit=1&after=\(cursor)")
            #expect(next.items.count == 1 && next.object["next_cursor"] is NSNull)
            #expect(Set((filtered.items + next.items).compactMap { $0["serial_number"] as? String }) == ["SN-A", "SN-B"])
            let badFilter = try await http.send("GET", "/v1/units?colour=red")
            #expect(badFilter.status == 422 && badFilter.fieldsAtFault == ["colour"])
            let badLimit = try await http.send("GET", "/v1/units?limit=0")
            #expect(badLimit.status == 400 && badLimit.fieldsAtFault == ["limit"])

            let missingIfMatch = try await http.send("PATCH", "/v1/customers/\(id)", json: ["name": "Globex Corp"])
            #expect(missingIfMatch.status == 428)
            let updated = try await http.send("PATCH", "/v1/customers/\(id)", json: ["name": "Globex Corp", "contact": NSNull()],
                                              headers: ["If-Match": "\"v1\""])
            #expect(updated.status == 200 && updated.headers["etag"] == "\"v2\"")
            #expect(updated.object["contact"] is NSNull && updated.object["code"] as? String == "GLOBEX")
            let stale = try await http.send("PATCH", "/v1/customers/\(id)", json: ["name": "Lost update"], headers: ["If-Match": "\"v1\""])
            #expect(stale.status == 412 && stale.headers["etag"] == "\"v2\"")
            #expect((stale.object["current"] as? [String: Any])?["name"] as? String == "Globex Corp")

            let referenced = try await http.send("DELETE", "/v1/customers/\(fixture["customer"])", headers: ["If-Match": "\"v1\""])
            #expect(referenced.status == 409)
            let deleted = try await http.send("DELETE", "/v1/customers/\(id)", headers: ["If-Match": "\"v2\""])
            #expect(deleted.status == 204)
            #expect(try await http.send("GET", "/v1/customers/\(id)").status == 404)

            // Links are replaced whole and read back; the latest meter reading shows on the unit.
            let contract = try await http.send("GET", "/v1/contracts/\(fixture["contract"])")
            #expect(contract.object["unit_ids"] as? [Int] == [fixture["unitA"]])
            let relinked = try await http.send("PATCH", "/v1/contracts/\(fixture["contract"])", json: ["unit_ids": [fixture["unitA"], fixture["unitB"]]],
                                               headers: ["If-Match": contract.headers["etag"] ?? ""])
            #expect(relinked.object["unit_ids"] as? [Int] == [fixture["unitA"], fixture["unitB"]])
            #expect(relinked.headers["etag"] != contract.headers["etag"])
            let unit = try await http.send("GET", "/v1/units/\(fixture["unitA"])")
            #expect(unit.object["meter_pages"] as? Int == 120_000 && unit.object["customer_id"] as? Int == fixture["customer"])
        }
    }

    /// A value of the wrong type or out of range for each kind of field.
    static func badValue(for type: FieldType) -> any Sendable {
        switch type {
        case .text: 12
        case .code: "has spaces!"
        case .integer: "x"
        case .decimal: 1e12
        case .boolean: "yes"
        case .choice: "no-such-choice"
        case .date: "2026-02-30"
        case .timestamp: "yesterday"
        case .timeOfDay: "25:00"
        case .timeZone: "Mars/Olympus_Mons"
        case .reference: "abc"
        case .references: ["x"]
        case .object: 5
        case .list: ["not": "a list"]
        }
    }

    @Test func everyBadFieldOfEveryCreateAndUpdateIsNamedAndNothingChanges() async throws {
        try await withRegistry { http, fixture, pool in
            let before = try await Self.snapshot(pool)
            for resource in Registry.resources {
                let (recordA, _) = try #require(PermissionMatrixTests.recordA[resource.name])
                let id = recordA.hasPrefix("user:") ? fixture.users["techA"] ?? 0 : fixture[recordA]
                let current = try await http.send("GET", "/v1/\(resource.name)/\(id)")
                for field in resource.writableFields {
                    let bad = [field.name: Self.badValue(for: field.type)]
                    let create = try await http.send("POST", "/v1/\(resource.name)", json: bad)
                    #expect(create.status == 422 && create.names(field.name),
                            "POST \(resource.name) \(field.name): \(create.status) \(create.text.prefix(300))")
                    if resource.isUpdatable, resource.name != "tokens" {
                        let update = try await http.send("PATCH", "/v1/\(resource.name)/\(id)", json: bad,
                                                         headers: ["If-Match": current.headers["etag"] ?? ""])
                        #expect(update.status == 422 && update.names(field.name),
                                "PATCH \(resource.name) \(field.name): \(update.status) \(update.text.prefix(300))")
                    }
                }
                for field in resource.writableFields where field.isRequired {
                    let missing = try await http.send("POST", "/v1/\(resource.name)", json: ["unknown_field": 1])
                    #expect(missing.fieldsAtFault.contains(field.name) && missing.fieldsAtFault.contains("unknown_field"))
                }
                let malformed = try await http.send("POST", "/v1/\(resource.name)", raw: Data("{\"code\": ".utf8))
                #expect(malformed.status == 400 && malformed.fieldsAtFault == ["body"])
                let notAnObject = try await http.send("POST", "/v1/\(resource.name)", raw: Data("[1, 2]".utf8))
                #expect(notAnObject.status == 422)
            }
            let oversized = try await http.send("POST", "/v1/customers", raw: Data(("{\"notes\": \"" + String(repeating: "x", count: 2 << 20) + "\"}").utf8))
            #expect(oversized.status == 413)

            // Valid shapes that the database refuses: unknown references, duplicates, a department of another customer.
            let unknownSite = try await http.send("POST", "/v1/units", json: ["serial_number": "SN-NEW", "equipment_model_id": fixture["model"], "site_id": 999_999])
            #expect(unknownSite.status == 422 && unknownSite.fieldsAtFault == ["site_id"])
            let duplicate = try await http.send("POST", "/v1/units", json: ["serial_number": "SN-A", "equipment_model_id": fixture["model"], "site_id": fixture["site"]])
            #expect(duplicate.status == 409 && duplicate.fieldsAtFault == ["serial_number"])
            var contract = RegistryFixture.sampleContract(customer: .number(Double(fixture["customer"])), units: [999_999])
            contract["reference"] = "SC-2"
            let unknownLink = try await http.send("POST", "/v1/contracts", json: contract.anyJSON)
            #expect(unknownLink.status == 422 && unknownLink.fieldsAtFault == ["unit_ids"], "\(unknownLink.text)")
            let backwards = try await http.send("POST", "/v1/vendor-contracts", json: [
                "vendor_id": fixture["vendorA"], "reference": "X1", "support_level": "depot_repair", "valid_from": "2026-05-01", "valid_to": "2026-04-01"])
            #expect(backwards.status == 422 && backwards.fieldsAtFault == ["valid_to"])
            let otherCustomer = try await http.send("POST", "/v1/customers", json: ["code": "OTHER", "name": "Other"])
            let department = try await http.send("POST", "/v1/departments", json: ["customer_id": otherCustomer.object["id"] as? Int ?? 0, "name": "Legal"])
            let mismatched = try await http.send("POST", "/v1/units", json: ["serial_number": "SN-X", "equipment_model_id": fixture["model"],
                                                                             "site_id": fixture["site"], "department_id": department.object["id"] as? Int ?? 0])
            #expect(mismatched.status == 422 && mismatched.fieldsAtFault == ["department_id"], "\(mismatched.text)")
            #expect(try await http.send("DELETE", "/v1/customers/\(otherCustomer.object["id"] as? Int ?? 0)", headers: ["If-Match": "\"v1\""]).status == 409)
            try await pool.query("DELETE FROM department WHERE customer_id = \(otherCustomer.object["id"] as? Int ?? 0)")
            try await pool.query("DELETE FROM customer WHERE code = 'OTHER'")
            #expect(try await Self.snapshot(pool) == before)
        }
    }

    @Test func twoClientsWithTheSameETagExactlyOneWins() async throws {
        try await withRegistry { http, fixture, _ in
            for round in 0..<5 {
                let unit = try await http.send("GET", "/v1/units/\(fixture["unitA"])")
                let etag = try #require(unit.headers["etag"])
                async let first = http.send("PATCH", "/v1/units/\(fixture["unitA"])", json: ["notes": "first \(round)"], headers: ["If-Match": etag])
                async let second = http.with(token: fixture.tokens["dispatcher"]).send("GET", "/v1/units/\(fixture["unitA"])")
                async let third = http.send("PATCH", "/v1/units/\(fixture["unitA"])", json: ["notes": "second \(round)"], headers: ["If-Match": etag])
                let statuses = try await [first.status, third.status].sorted()
                #expect(statuses == [200, 412], "round \(round): \(statuses)")
                #expect(try await second.status == 200)
                let after = try await http.send("GET", "/v1/units/\(fixture["unitA"])")
                #expect(after.object["version"] as? Int == (unit.object["version"] as? Int ?? 0) + 1)
            }
        }
    }

    @Test func idempotencyKeysReplayTheFirstAnswerAndRefuseAnotherBody() async throws {
        try await withRegistry { http, fixture, pool in
            let dispatcherToken = fixture.tokens["dispatcher"]
            let body: [String: any Sendable] = ["code": "INITECH", "name": "Initech"]
            let key = ["Idempotency-Key": "create-initech-1"]
            let replies = try await withThrowingTaskGroup(of: TestHTTP.Reply.self) { group in
                for _ in 0..<4 { group.addTask { try await http.send("POST", "/v1/customers", json: body, headers: key) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 201 })
            #expect(Set(replies.compactMap { $0.object["id"] as? Int }).count == 1)
            #expect(replies.filter { $0.headers["idempotent-replayed"] == "true" }.count == 3)
            let stored = try await pool.query("SELECT count(*) FROM customer WHERE code = 'INITECH'")
            #expect(try stored[0].decode(Int.self, at: 0) == 1)
            let other = try await http.send("POST", "/v1/customers", json: ["code": "INITECH2", "name": "Initech"], headers: key)
            #expect(other.status == 422 && other.fieldsAtFault == ["Idempotency-Key"])
            // Keys are per caller: another user's same key is a new request.
            let dispatcher = try await http.with(token: http.token == nil ? nil : dispatcherToken).send("POST", "/v1/tokens", json: ["name": "x"], headers: key)
            #expect(dispatcher.status == 201 && dispatcher.headers["idempotent-replayed"] == nil)
        }
    }

    @Test func tokensAndPasswordsWorkAndTheirSecretsAreNeverLoggedOrStored() async throws {
        let logging = InMemoryLogHandler()
        var logger = Logger(label: "truckroll.tests", factory: { _ in logging })
        logger.logLevel = .trace
        try await withRegistry(logger: logger) { http, fixture, pool in
            let techA = http.with(token: fixture.tokens["techA"])
            let own = try await techA.send("POST", "/v1/tokens", json: ["name": "phone", "expires_at": "2030-01-01T00:00:00Z"])
            #expect(own.status == 201)
            let secret = try #require(own.object["secret"] as? String)
            #expect(secret.hasPrefix("trk_") && secret.count == 47)
            #expect(try await http.with(token: secret).send("GET", "/v1/me").object["username"] as? String == "techA")
            let forOthers = try await techA.send("POST", "/v1/tokens", json: ["name": "sneaky", "user_id": fixture.users["admin"] ?? 0])
            #expect(forOthers.status == 403)
            let listed = try await techA.send("GET", "/v1/tokens")
            #expect(listed.items.allSatisfy { $0["user_id"] as? Int == fixture.users["techA"] } && listed.items.count == 2)
            #expect(!listed.text.contains(secret) && !listed.text.contains("sha256"))

            let revoked = try await techA.send("DELETE", "/v1/tokens/\(own.object["id"] as? Int ?? 0)")
            #expect(revoked.status == 200 && revoked.object["active"] as? Bool == false)
            #expect(try await http.with(token: secret).send("GET", "/v1/me").status == 401)

            let expired = try await http.send("POST", "/v1/tokens", json: ["name": "short", "user_id": fixture.users["manager"] ?? 0,
                                                                           "expires_at": "2020-01-01T00:00:00Z"])
            #expect(try await http.with(token: expired.object["secret"] as? String).send("GET", "/v1/me").status == 401)

            let login = try await TestHTTP(base: http.base, token: nil).send("POST", "/v1/login", json: ["username": "dispatcher", "password": RegistryFixture.password])
            #expect(login.status == 201)
            let loginSecret = try #require(login.object["secret"] as? String)
            #expect(try await http.with(token: loginSecret).send("GET", "/v1/me").object["role"] as? String == "dispatcher")
            let wrong = try await TestHTTP(base: http.base, token: nil).send("POST", "/v1/login", json: ["username": "dispatcher", "password": "wrong password!"])
            #expect(wrong.status == 401)
            let nobody = try await TestHTTP(base: http.base, token: nil).send("POST", "/v1/login", json: ["username": "nobody", "password": "whatever it is"])
            #expect(nobody.status == 401)

            let disabled = try await http.send("PATCH", "/v1/users/\(fixture.users["dispatcher"] ?? 0)", json: ["disabled": true], headers: ["If-Match": "\"v1\""])
            #expect(disabled.status == 200)
            #expect(try await http.with(token: loginSecret).send("GET", "/v1/me").status == 401)
            #expect(try await http.with(token: fixture.tokens["dispatcher"]).send("GET", "/v1/units").status == 401)
            let shortPassword = try await http.send("POST", "/v1/users", json: ["username": "newbie", "role": "manager", "password": "short"])
            #expect(shortPassword.status == 422 && shortPassword.fieldsAtFault == ["password"])

            let secrets = [secret, loginSecret, RegistryFixture.password] + fixture.tokens.values
            let logs = logging.entries.map { "\($0)" }.joined(separator: "\n")
            #expect(!logs.isEmpty)
            // Every table of the schema, read from the catalogue, so that a table added later is scanned too.
            let tables = try await pool.query("""
                SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                """).map { try $0.decode(String.self, at: 0) }
            #expect(tables.contains("api_token") && tables.contains("app_user") && tables.count >= 30)
            let stored = try await Self.rows(of: tables, in: pool).joined(separator: "\n")
            for value in secrets {
                #expect(!logs.contains(value), "a secret reached the logs")
                #expect(!stored.contains(value), "a secret is stored in plain text")
            }
            #expect(stored.contains("$2b$"), "passwords are stored as bcrypt hashes")
        }
    }

    @Test func theOpenAPIDocumentDescribesExactlyTheRegisteredRoutes() async throws {
        try await TestDatabase.withDatabase { database in
            let pool = PGPool(configuration: database, logger: TestDatabase.silentLogger)
            let routes = Set(buildRouter(pool: pool).routes.map { route in
                let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                return "\(route.method.rawValue.lowercased()) /" + path.joined(separator: "/")
            })
            await pool.shutdown()
            let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json().utf8)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })
            #expect(documented == routes, "undocumented: \(routes.subtracting(documented)); not routed: \(documented.subtracting(routes))")
        }
    }
}

extension TestHTTP.Reply {
    /// Whether the problem names `field`, or a part of it (`unit_ids[0]`, `calendar.weekly`).
    func names(_ field: String) -> Bool {
        fieldsAtFault.contains { $0 == field || $0.hasPrefix(field + "[") || $0.hasPrefix(field + ".") }
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// The object as JSONSerialization values, to send as a request body.
    var anyJSON: [String: any Sendable] { mapValues(\.anyJSON) }
}

extension JSONValue {
    var anyJSON: any Sendable {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .number(let value): value.rounded() == value ? Int(value) as any Sendable : value
        case .string(let value): value
        case .array(let values): values.map(\.anyJSON)
        case .object(let object): object.mapValues(\.anyJSON)
        }
    }
}
