import Foundation
import LibPQ

/// A realistic service business, generated from a seed: a dealer around Lyon (the region's towns for larger sizes)
/// with customers, sites and departments; copiers, printers, servers, storage and switches of a dozen models under
/// contracts with different SLAs and downtime costs; vendors and their support contracts; technicians with skills,
/// calendars, vans and stock; weeks of closed calls with visits, parts, callbacks and RMAs; and the open calls of
/// the morning before `now`, each status change in the event log as the API writes it.
///
/// The same size, seed, history and `now` always give the same rows. It serves `make demo` (`serve --demo`),
/// `truckroll sample load`, and the planning and report benchmarks.
public struct SampleBusiness: Sendable {
    /// How big the business is.
    public struct Size: Sendable, Equatable {
        /// Field technicians, one van each; one depot per 40.
        public var technicians: Int
        /// Calls open now (reported during the last four hours).
        public var openRequests: Int
        /// Customers; each has one site or a few, with four to thirty units each.
        public var customers: Int

        /// A size; customers default to 7.5 per technician.
        public init(technicians: Int, openRequests: Int, customers: Int? = nil) {
            self.technicians = technicians
            self.openRequests = openRequests
            self.customers = customers ?? max(1, technicians * 15 / 2)
        }

        /// `make demo`: Lyon, 40 technicians, 250 open calls, 300 customers.
        public static let demo = Size(technicians: 40, openRequests: 250)
        /// The region's main towns: 200 technicians, 1,500 open calls.
        public static let medium = Size(technicians: 200, openRequests: 1_500)
        /// The whole region: 1,000 technicians, 8,000 open calls.
        public static let large = Size(technicians: 1_000, openRequests: 8_000)

        /// The preset sizes by name.
        public static let presets: [(name: String, size: Size)] = [("demo", .demo), ("medium", .medium), ("large", .large)]
    }

    /// Usernames of the sample's users. Every technician also has a user named after its code in lower case.
    public enum Users {
        /// The administrator.
        public static let admin = "demo"
        /// Tier 1: logs and triages calls.
        public static let helpDesk = "helpdesk"
        /// Books and dispatches visits.
        public static let dispatcher = "dispatcher"
        /// Reads the reports.
        public static let manager = "manager"
        /// Coordinator for the first vendor (Canon France).
        public static let vendorCoordinator = "vendor"
        /// The user of technician T0001.
        public static let technician = "t0001"
    }

    /// How many technicians, open calls and customers.
    public var size: Size
    /// Chooses everything that varies (SplitMix64; no other randomness).
    public var seed: UInt64
    /// The instant the open calls lead up to; history ends the day before.
    public var now: Date
    /// Days of closed calls before today (about 42 events per technician per workday).
    public var historyDays: Int

    /// Days of history by default.
    public static let defaultHistoryDays = 30

    /// A sample business.
    /// - Parameters:
    ///   - size: How many technicians, open calls and customers.
    ///   - seed: Chooses everything that varies; the same seed gives the same rows.
    ///   - now: When the open calls are observed; the morning before it is when they came in.
    ///   - historyDays: Days of closed calls before today; 0 for none.
    public init(size: Size = .demo, seed: UInt64 = 1, now: Date = Date(), historyDays: Int = SampleBusiness.defaultHistoryDays) {
        self.size = size
        self.seed = seed
        self.now = now
        self.historyDays = max(0, historyDays)
    }

    /// Loads the business into an empty database, in one transaction (all or nothing) with `COPY`.
    /// - Parameter pool: A migrated database with no customers.
    /// - Returns: What was loaded.
    /// - Throws: ``SampleError/databaseNotEmpty(customers:)`` when customers exist (nothing is written), or
    ///   `PGError` when the database refuses a row or cannot be reached.
    public func load(into pool: PGPool) async throws -> SampleSummary {
        try await SampleLoader.refuseUnlessEmpty(pool)
        var generator = SampleGenerator(business: self)
        let rows = generator.generate()
        try await SampleLoader(rows: rows).load(into: pool)
        return SampleSummary(rows: rows)
    }
}

/// What ``SampleBusiness/load(into:)`` loaded.
public struct SampleSummary: Sendable, Equatable {
    /// Customers, each with departments and one site or more.
    public let customers: Int
    /// Sites of the customers.
    public let sites: Int
    /// Installed units (copiers, printers, servers, storage, switches).
    public let units: Int
    /// Technicians, each with a van.
    public let technicians: Int
    /// Calls not resolved or closed.
    public let openRequests: Int
    /// Open calls with an RMA approved or shipped.
    public let waitingOnParts: Int
    /// Closed (or resolved, not yet closed) calls of the history.
    public let pastRequests: Int
    /// Visits, past and planned.
    public let visits: Int
    /// Rows of the event log.
    public let events: Int
    /// The users to sign in as: admin, help desk, dispatcher, manager, vendor coordinator, first technician.
    public let usernames: [String]

    init(rows: SampleRows) {
        customers = rows.customers.count
        sites = rows.sites.count
        units = rows.units.count
        technicians = rows.technicians.count
        let open = rows.requests.indices.filter { !["resolved", "resolved_remotely", "closed"].contains(rows.requests[$0].status) }
        openRequests = open.count
        let openIDs = Set(open.map { $0 + 1 })
        waitingOnParts = Set(rows.rmas.filter { ["approved", "shipped"].contains($0.status) && openIDs.contains($0.serviceRequestID) }
            .map(\.serviceRequestID)).count
        pastRequests = rows.requests.count - openRequests
        visits = rows.visits.count
        events = rows.events.count
        usernames = [SampleBusiness.Users.admin, SampleBusiness.Users.helpDesk, SampleBusiness.Users.dispatcher,
                     SampleBusiness.Users.manager, SampleBusiness.Users.vendorCoordinator, SampleBusiness.Users.technician]
    }
}

/// Why a sample was not loaded.
public enum SampleError: Error, Equatable, CustomStringConvertible {
    /// The database already holds customers: a sample loads only into an empty one.
    case databaseNotEmpty(customers: Int)

    public var description: String {
        switch self {
        case .databaseNotEmpty(let customers):
            "the database is not empty (\(customers) customer\(customers == 1 ? "" : "s")): the sample loads only into an empty one"
        }
    }
}
