import Foundation
import LibPQ
import TruckrollDomain
import TruckrollStore

/// The demo data set of `truckroll serve --demo` (`make demo`): a dealer in Lyon with law firms, a hospital and a
/// logistics company, their copiers, servers and switches, four technicians and their vans.
struct DemoData {
    /// The directory of `NN-resource.csv` files, loaded in file-name order.
    let directory: String

    static let username = "demo"

    /// Loads the data set if the registry is empty, makes sure the demo admin exists, and issues a token for it.
    /// - Returns: The new token's secret.
    func prepare(pool: PGPool) async throws -> String {
        let customers = try await pool.query("SELECT count(*) FROM customer")[0].decode(Int.self, at: 0)
        if customers == 0 {
            let importer = RegistryImporter(pool: pool)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".csv") }.sorted()
            for file in files {
                let resource = String(file.dropLast(4).drop { $0 != "-" }.dropFirst())
                let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
                do {
                    try await importer.importCSV(resource, text: text)
                } catch let failure as ImportFailure {
                    throw DemoDataError(description: "the demo file \(file) does not load: \(failure)")
                }
            }
        }
        let access = AccessStore(pool: pool)
        let existing = try await RegistryStore(pool: pool).list("users", filters: ["username": Self.username], after: nil, limit: 1, as: .operator)
        if existing.items.isEmpty {
            _ = try await access.addUser(["username": .string(Self.username), "role": "admin", "display_name": "Demo administrator"])
        }
        return try await access.createToken(forUsername: Self.username, name: "make demo", expiresAt: Date().addingTimeInterval(7 * 86_400)).1.value
    }

    /// What to type next, printed once the server listens.
    static func instructions(server: String, token: String) -> String {
        """
        Demo data loaded. A token for the demo admin (valid 7 days, shown once):
          export TRUCKROLL_SERVER=\(server) TRUCKROLL_TOKEN=\(token)
        Then, in another terminal:
          .build/debug/truckroll list units --filter criticality=critical
          .build/debug/truckroll show technician 1
          curl -H "Authorization: Bearer $TRUCKROLL_TOKEN" \(server)/v1/units?site=3

        """
    }
}

/// A demo file that does not load (a bug in `deploy/demo`).
struct DemoDataError: Error, CustomStringConvertible {
    let description: String
}

/// The demo token, handed from the start-up hook to the "serving" message.
actor DemoToken {
    private(set) var value: String?

    func set(_ value: String) { self.value = value }
}
