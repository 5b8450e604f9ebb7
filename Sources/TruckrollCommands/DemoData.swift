import Foundation
import LibPQ
import TruckrollDomain
import TruckrollSample
import TruckrollStore

/// The demo data set of `truckroll serve --demo` (`make demo`): the demo-size ``SampleBusiness`` (a dealer in Lyon,
/// 40 technicians, 250 calls open this morning, a month of history), always from the same seed.
struct DemoData {
    static let seed: UInt64 = 2026

    /// The users who get a token, and what they are, for the instructions.
    static let users: [(username: String, role: String)] = [
        (SampleBusiness.Users.admin, "admin"), (SampleBusiness.Users.dispatcher, "dispatcher"),
        (SampleBusiness.Users.technician, "technician T0001"), (SampleBusiness.Users.vendorCoordinator, "vendor coordinator"),
    ]

    /// A token issued for a demo user.
    struct Credential: Sendable {
        let username: String
        let role: String
        let token: String
    }

    /// When the open calls were reported (the four hours before it).
    var now = Date()

    /// Loads the sample if the registry is empty, makes sure the demo admin exists, and issues a token (valid 7 days)
    /// to each demo user that exists.
    /// - Returns: The tokens, admin first.
    func prepare(pool: PGPool) async throws -> [Credential] {
        let customers = try await pool.query("SELECT count(*) FROM customer")[0].decode(Int.self, at: 0)
        if customers == 0 {
            _ = try await SampleBusiness(size: .demo, seed: Self.seed, now: now).load(into: pool)
        }
        let access = AccessStore(pool: pool)
        let existing = try await RegistryStore(pool: pool).list("users", filters: ["username": SampleBusiness.Users.admin], after: nil,
                                                               limit: 1, as: .operator)
        if existing.items.isEmpty {
            _ = try await access.addUser(["username": .string(SampleBusiness.Users.admin), "role": "admin", "display_name": "Demo administrator"])
        }
        var credentials: [Credential] = []
        for user in Self.users {
            do {
                let secret = try await access.createToken(forUsername: user.username, name: "make demo",
                                                          expiresAt: Date().addingTimeInterval(7 * 86_400)).1
                credentials.append(Credential(username: user.username, role: user.role, token: secret.value))
            } catch RegistryError.invalid {
                continue  // a registry loaded otherwise may lack the sample's users
            }
        }
        return credentials
    }

    /// What to type next, printed once the server listens.
    static func instructions(server: String, credentials: [Credential], plan: Int?) -> String {
        let width = credentials.map(\.role.count).max() ?? 0
        let tokens = credentials.map { "  \($0.role.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.token)" }
        return """
            Demo data loaded: a dealer in Lyon, 40 technicians, calls open since this morning. Tokens (valid 7 days, shown once):
            \(tokens.joined(separator: "\n"))
            Then, in another terminal, as the admin:
              export TRUCKROLL_SERVER=\(server) TRUCKROLL_TOKEN=\(credentials.first?.token ?? "")
              .build/debug/truckroll queue
              .build/debug/truckroll plan show \(plan.map(String.init) ?? "ID")      # routes, ETAs, parts to bring, why
              .build/debug/truckroll plan apply \(plan.map(String.init) ?? "ID")     # book the visits; then: truckroll board
              .build/debug/truckroll list units --filter criticality=critical
              curl -H "Authorization: Bearer $TRUCKROLL_TOKEN" \(server)/v1/service-requests?status=dispatch_needed

            """
    }
}

/// The demo tokens, handed from the start-up hook to the "serving" message.
actor DemoCredentials {
    private(set) var value: [DemoData.Credential] = []
    /// The plan computed at start-up.
    private(set) var plan: Int?

    func set(_ value: [DemoData.Credential]) { self.value = value }
    func set(plan: Int) { self.plan = plan }
}
