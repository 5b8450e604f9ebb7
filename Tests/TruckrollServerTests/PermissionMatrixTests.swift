import Foundation
import HTTPTypes
import Hummingbird
import Hummingbird
import LibPQ
import Testing
import TruckrollDomain
import TruckrollServer
import TruckrollStore
import TruckrollTestSupport

/// Every `/v1` route × every role × own/other's record, generated from the router's route table: a new route
/// that this test cannot classify fails it, so no endpoint escapes the matrix.
@Suite struct PermissionMatrixTests {
    /// Which fixture record is "record A" of each resource, and who owns it.
    static let recordA: [String: (fixture: String, owner: String?)] = [
        "customers": ("customer", nil), "departments": ("department", nil), "sites": ("site", nil), "parts": ("part", nil),
        "equipment-models": ("model", nil), "units": ("unitA", "vendorA"), "meter-readings": ("reading", "vendorA"),
        "vendors": ("vendorA", "vendorA"), "vendor-contracts": ("vendorContractA", "vendorA"), "contracts": ("contract", nil),
        "technicians": ("technicianA", "techA"), "depots": ("depot", nil), "vehicles": ("vehicleA", "techA"),
        "stock": ("stockA", "techA"), "users": ("user:techA", "techA"), "tokens": ("token:techA", "techA"),
        "service-requests": ("requestA", "techA"), "visits": ("visitA", "techA"), "rmas": ("rmaA", "vendorA"),
        "device-alerts": ("alert", nil), "part-requests": ("partRequestA", "techA"),
    ]
    /// Record B of resources with owners: what A's owner must never see.
    static let recordB: [String: String] = [
        "units": "unitB", "vendors": "vendorB", "vendor-contracts": "vendorContractB", "technicians": "technicianB",
        "vehicles": "vehicleB", "stock": "stockB", "service-requests": "requestB", "visits": "visitB", "rmas": "rmaB",
        "part-requests": "partRequestB",
    ]
    /// Planning routes: a request each role may or may not make, and the answer when allowed (no side effects:
    /// invalid bodies and missing plans).
    static let planningProbes: [String: (path: String, body: [String: Int]?, writes: Bool, status: Int)] = [
        "GET plans": ("/v1/plans", nil, false, 200),
        "POST plans": ("/v1/plans", ["horizon_minutes": 0], true, 422),
        "GET plans/{id}": ("/v1/plans/999999", nil, false, 404),
        "POST plans/{id}/apply": ("/v1/plans/999999/apply", nil, true, 404),
        "GET planning-policy": ("/v1/planning-policy", nil, false, 200),
        "PATCH planning-policy": ("/v1/planning-policy", ["late_after_minutes": 0], true, 422),
        "GET board": ("/v1/board", nil, false, 200),
    ]
    static let roles: [String: Role] = [
        "admin": .admin, "support": .supportAgent, "dispatcher": .dispatcher, "manager": .manager,
        "techA": .technician, "techB": .technician, "vendorA": .vendorCoordinator, "vendorB": .vendorCoordinator,
    ]

    @Test func everyRouteEveryRoleOwnAndOthers() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let fixture = try await RegistryFixture.make(pool: pool)
                let access = AccessStore(pool: pool)
                let routes = buildRouter(pool: pool).routes.map { (method: $0.method.rawValue, path: "\($0.path)") }
                var checked = 0
                for route in routes where route.path.hasPrefix("/v1/") || route.path.hasPrefix("v1/") {
                    let segments = route.path.split(separator: "/").map(String.init)
                    guard segments.first == "v1" else { continue }
                    if segments == ["v1", "login"] || segments == ["v1", "me"] { continue }
                    if segments.count == 3, segments[1] == "reports" {
                        for (username, role) in Self.roles {
                            let reply = try await TestHTTP(base: base, token: fixture.tokens[username])
                                .send("GET", "/v1/reports/dealer?from=2026-01-01&to=2027-01-01")
                            #expect(reply.status == ([.admin, .dispatcher, .manager].contains(role) ? 200 : 403), "GET reports as \(username)")
                            // The RMA report is also a vendor coordinator's, for their own vendor.
                            let rma = try await TestHTTP(base: base, token: fixture.tokens[username]).send("GET", "/v1/reports/rma?from=2026-01-01&to=2027-01-01")
                            #expect(rma.status == ([.admin, .dispatcher, .manager, .vendorCoordinator].contains(role) ? 200 : 403), "GET rma report as \(username)")
                            checked += 2
                        }
                        continue
                    }
                    if segments == ["v1", "stock", "transfers"] {
                        for (username, role) in Self.roles {
                            let reply = try await TestHTTP(base: base, token: fixture.tokens[username]).send("POST", "/v1/stock/transfers", json: [String: String]())
                            #expect(reply.status == ([.admin, .dispatcher, .technician].contains(role) ? 422 : 403), "POST /v1/stock/transfers as \(username)")
                            checked += 1
                        }
                        continue
                    }
                    if segments == ["v1", "me", "visits"] {
                        for (username, role) in Self.roles {
                            let reply = try await TestHTTP(base: base, token: fixture.tokens[username]).send("GET", "/v1/me/visits")
                            #expect(reply.status == (role == .technician ? 200 : 403), "GET /v1/me/visits as \(username)")
                            if role == .technician {
                                let mine = username == "techA" ? fixture["visitA"] : fixture["visitB"]
                                #expect(reply.items.compactMap { $0["id"] as? Int } == [mine])
                            }
                            checked += 1
                        }
                        continue
                    }
                    if let probe = Self.planningProbes["\(route.method) \(segments.dropFirst().joined(separator: "/"))"] {
                        for (username, role) in Self.roles {
                            let reply = try await TestHTTP(base: base, token: fixture.tokens[username])
                                .send(route.method, probe.path, json: probe.body)
                            let allowed = probe.writes ? [Role.admin, .dispatcher] : [.admin, .dispatcher, .manager, .supportAgent]
                            #expect(reply.status == (allowed.contains(role) ? probe.status : 403), "\(route.method) \(probe.path) as \(username): \(reply.text.prefix(200))")
                            checked += 1
                        }
                        continue
                    }
                    let name = segments[1]
                    let resource = try #require(Registry.resource(named: name), "unclassified route \(route.method) \(route.path)")
                    let (fixtureName, owner) = try #require(Self.recordA[name], "no record A for \(name)")
                    for (username, role) in Self.roles.sorted(by: { $0.key < $1.key }) {
                        let http = TestHTTP(base: base, token: fixture.tokens[username])
                        var id = fixtureName.hasPrefix("user:") ? fixture.users["techA"] ?? 0 : fixture[fixtureName]
                        if fixtureName.hasPrefix("token:") {
                            id = try await access.createToken(forUsername: "techA", name: "spare", expiresAt: nil).0.id
                        }
                        let isItem = segments.count == 3
                        let action = segments.count == 4 ? segments[3] : nil
                        let rights = action != nil ? resource.transitionAccess : route.method == "GET" ? resource.access.read : resource.access.write
                        let scope = rights[role]
                        let ownsA = owner == nil || owner == username
                        let reply: TestHTTP.Reply
                        var expected: Set<Int>
                        switch (route.method, isItem) {
                        case ("POST", _) where action != nil:
                            let current = try await TestHTTP(base: base, token: fixture.tokens["admin"]).send("GET", "/v1/\(name)/\(id)")
                            reply = try await http.send("POST", "/v1/\(name)/\(id)/\(action ?? "")", json: [String: String](),
                                                        headers: ["If-Match": current.headers["etag"] ?? ""])
                            expected = scope == nil ? [403] : (scope == .own && !ownsA ? [404] : [422])
                        case ("GET", false):
                            reply = try await http.send("GET", "/v1/\(name)?limit=1000")
                            expected = scope == nil ? [403] : [200]
                            if reply.status == 200, scope == .own {
                                let ids = reply.items.compactMap { $0["id"] as? Int }
                                #expect(ids.contains(id) == ownsA, "\(username) list of \(name)")
                                if ownsA, let b = Self.recordB[name] {
                                    #expect(!ids.contains(fixture[b]), "\(username) sees \(name) \(b) in the list")
                                }
                            }
                        case ("GET", true):
                            reply = try await http.send("GET", "/v1/\(name)/\(id)")
                            expected = scope == nil ? [403] : (scope == .own && !ownsA ? [404] : [200])
                        case ("POST", false):
                            reply = try await http.send("POST", "/v1/\(name)", json: [String: String]())
                            expected = scope == nil ? [403] : [422]
                        case ("PATCH", true):
                            let current = try await TestHTTP(base: base, token: fixture.tokens["admin"]).send("GET", "/v1/\(name)/\(id)")
                            reply = try await http.send("PATCH", "/v1/\(name)/\(id)", json: [String: String](),
                                                        headers: ["If-Match": current.headers["etag"] ?? ""])
                            expected = scope == nil ? [403] : (scope == .own && !ownsA ? [404] : [200])
                        case ("DELETE", true):
                            // A stale If-Match proves the check passed without deleting anything (412); tokens are revoked.
                            reply = try await http.send("DELETE", "/v1/\(name)/\(id)", headers: ["If-Match": "\"v999\""])
                            let allowed = name == "tokens" ? 200 : 412
                            expected = scope == nil ? [403] : (scope == .own && !ownsA ? [404] : [allowed])
                        default:
                            Issue.record("unclassified route \(route.method) \(route.path)")
                            continue
                        }
                        #expect(expected.contains(reply.status), "\(route.method) \(route.path) as \(username): \(reply.status) \(reply.text.prefix(200))")
                        if reply.status == 404 || reply.status == 403 {
                            #expect(!reply.text.contains("\"serial_number\"") && !reply.text.contains("\"registration\""),
                                    "a refusal leaks a record: \(reply.text.prefix(200))")
                        }
                        checked += 1
                    }
                }
                // 20 resources: list, read, create, update or revoke, most delete, some transitions × 8 callers.
                #expect(checked >= 20 * 4 * 8)
                let unauthenticated = try await TestHTTP(base: base, token: nil).send("GET", "/v1/units")
                #expect(unauthenticated.status == 401 && unauthenticated.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            }
        }
    }
}
